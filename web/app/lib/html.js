// The one place the client imports its view library from: Preact with htm templates (vendored,
// see web/vendor/lock.json), and Preact's hooks.
export { html, render, h, Component } from "../../vendor/htm-preact.mjs";
export { createContext, Fragment } from "../../vendor/preact.mjs";
export {
  useState,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useContext,
  useReducer,
  useId,
} from "../../vendor/preact-hooks.mjs";
