//! Pulling typed values out of a request body, collecting every field's errors at once in
//! DRF's words, so a client sees all that is wrong with a form in one answer.
//!
//! ```text
//! let mut form = Fields::new(input);
//! let name = form.required("username", Username::parse);
//! let password = form.password("password");
//! let (name, password) = form.finish((name, password))?;
//! ```

use crate::error::{ApiError, FieldErrors};
use crate::input::Input;
use pingme_domain::account::Refusal;
use pingme_domain::password;
use serde_json::Value;

/// The refusal of form or multipart text whose bytes are not UTF-8.
pub const NOT_UTF8: &str = "Not valid UTF-8 text.";

pub struct Fields {
    input: Input,
    errors: FieldErrors,
}

/// How a raw value is read before parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    /// Surrounding whitespace removed (DRF's default for character fields).
    Trimmed,
    /// Kept as sent: passwords.
    Verbatim,
}

impl Fields {
    pub fn new(input: Input) -> Self {
        Self {
            input,
            errors: FieldErrors::default(),
        }
    }

    /// A field that must be present and not blank, parsed into its domain type.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) -> Option<T> {
        let text = self.text(name, Text::Trimmed)?;
        self.parsed(name, parse(&text))
    }

    /// A password: required, not blank, never trimmed, and at most
    /// [`password::MAX_CHARS`] long (checked before anything hashes or compares it).
    pub fn password(&mut self, name: &str) -> Option<String> {
        let text = self.text(name, Text::Verbatim)?;
        match password::too_long(&text) {
            Some(refusal) => self.parsed(name, Err(refusal)),
            None => Some(text),
        }
    }

    /// Required, not blank, never trimmed: a token.
    pub fn verbatim(&mut self, name: &str) -> Option<String> {
        self.text(name, Text::Verbatim)
    }

    /// A field that may be left out; `null` is refused.
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) -> Option<T> {
        if !self.readable(name) {
            return None;
        }
        match self.input.values.get(name) {
            None => None,
            Some(_) => {
                let text = self.string(name, Text::Trimmed, true)?;
                self.parsed(name, parse(&text))
            }
        }
    }

    /// A field that may be left out (`None`) or set to `null` (`Some(None)`).
    pub fn nullable<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) -> Option<Option<T>> {
        if !self.readable(name) {
            return None;
        }
        match self.input.values.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => {
                let text = self.string(name, Text::Trimmed, true)?;
                self.parsed(name, parse(&text)).map(Some)
            }
        }
    }

    /// An integer, from a JSON number or digits in a string (forms); `None` when absent
    /// (an error too when `required`).
    pub fn integer(&mut self, name: &str, required: bool) -> Option<i64> {
        if !self.readable(name) {
            return None;
        }
        let parsed = match self.input.values.get(name) {
            None if required => Err("This field is required."),
            None => return None,
            Some(Value::Null) => Err("This field may not be null."),
            Some(Value::Number(n)) => n.as_i64().ok_or("A valid integer is required."),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| "A valid integer is required."),
            Some(_) => Err("A valid integer is required."),
        };
        parsed.map_err(|message| self.reject(name, message)).ok()
    }

    /// An integer that may be left out, `null` or blank (all `None`).
    pub fn nullable_integer(&mut self, name: &str) -> Option<i64> {
        match self.input.values.get(name) {
            Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            _ => self.integer(name, false),
        }
    }

    /// A list of at most `max` distinct ids: a JSON array of integers or, from a form,
    /// integers separated by commas; left out, `null` or empty: none.
    pub fn ids(&mut self, name: &str, max: usize) -> Vec<i64> {
        if !self.readable(name) {
            return Vec::new();
        }
        let parsed: Result<Vec<i64>, &str> = match self.input.values.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_i64()
                        .filter(|id| *id > 0)
                        .ok_or("A valid integer is required.")
                })
                .collect(),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
            Some(Value::String(text)) => text
                .split(',')
                .map(|part| {
                    part.trim()
                        .parse()
                        .ok()
                        .filter(|id: &i64| *id > 0)
                        .ok_or("A valid integer is required.")
                })
                .collect(),
            Some(_) => Err("Expected a list of items."),
        };
        let ids = match parsed {
            Ok(ids) => ids,
            Err(message) => {
                self.reject(name, message);
                return Vec::new();
            }
        };
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != ids.len() {
            self.reject(name, "Each item may be given once.");
        } else if ids.len() > max {
            self.reject(
                name,
                format!("Ensure this field has no more than {max} elements."),
            );
        }
        ids
    }

    /// A boolean as DRF reads one: `true`/`false`, `1`/`0`, or the strings `true`, `false`,
    /// `1`, `0`, `yes`, `no`, `on`, `off` in any case; `None` when absent.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        if !self.readable(name) {
            return None;
        }
        let parsed = match self.input.values.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => parse_bool(s),
            _ => None,
        };
        if parsed.is_none() {
            self.reject(name, "Must be a valid boolean.");
        }
        parsed
    }

    /// The raw text of a field, when it is a string, without recording anything.
    pub fn peek(&self, name: &str) -> Option<&str> {
        self.input.values.get(name).and_then(Value::as_str)
    }

    /// Whether the body has a value of that name, whatever it is.
    pub fn has(&self, name: &str) -> bool {
        self.input.values.contains_key(name) || self.input.undecodable.contains(name)
    }

    /// Refuses a field this server does not take (yet) unless it is left out, `null` or
    /// empty.
    pub fn not_taken(&mut self, name: &str, message: &str) {
        let given = match self.input.values.get(name) {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => !items.is_empty(),
            Some(Value::String(text)) => !text.trim().is_empty(),
            Some(_) => true,
        };
        if given || self.input.undecodable.contains(name) {
            self.reject(name, message);
        }
    }

    /// Records an error under `field` (or [`crate::error::NON_FIELD`]).
    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// Every error recorded as one 400, or all the values when there were none.
    pub fn finish<T: AllPresent>(self, values: T) -> Result<T::Output, ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::Fields(self.errors));
        }
        values.all_present().ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("a field was missing without an error"))
        })
    }

    /// Stops at the first batch of errors, for checks that only make sense on valid fields.
    pub fn check(&mut self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(std::mem::take(&mut self.errors)))
        }
    }

    /// Whether the field can be read: `false`, with the reason recorded, when its text was
    /// not UTF-8 (so it is neither missing nor blank, whatever the accessor).
    fn readable(&mut self, name: &str) -> bool {
        if self.input.undecodable.contains(name) {
            self.reject(name, NOT_UTF8);
            return false;
        }
        true
    }

    fn text(&mut self, name: &str, mode: Text) -> Option<String> {
        if !self.readable(name) {
            return None;
        }
        if !self.input.values.contains_key(name) {
            self.reject(name, "This field is required.");
            return None;
        }
        self.string(name, mode, false)
    }

    fn string(&mut self, name: &str, mode: Text, allow_blank: bool) -> Option<String> {
        let text = match self.input.values.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Null) => {
                self.reject(name, "This field may not be null.");
                return None;
            }
            _ => {
                self.reject(name, "Not a valid string.");
                return None;
            }
        };
        if text.contains('\0') {
            self.reject(name, "Null characters are not allowed.");
            return None;
        }
        let text = if mode == Text::Trimmed {
            text.trim().to_owned()
        } else {
            text
        };
        if !allow_blank && text.is_empty() {
            self.reject(name, "This field may not be blank.");
            return None;
        }
        Some(text)
    }

    fn parsed<T>(&mut self, name: &str, result: Result<T, Refusal>) -> Option<T> {
        result.map_err(|refusal| self.reject(name, refusal)).ok()
    }
}

/// A boolean written as text, as DRF reads one: `true`, `false`, `1`, `0`, `yes`, `no`,
/// `on`, `off`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A tuple of `Option`s that becomes a tuple of values when all are present.
pub trait AllPresent {
    type Output;
    fn all_present(self) -> Option<Self::Output>;
}

macro_rules! all_present {
    ($($name:ident),+) => {
        impl<$($name),+> AllPresent for ($(Option<$name>,)+) {
            type Output = ($($name,)+);
            #[allow(non_snake_case)]
            fn all_present(self) -> Option<Self::Output> {
                let ($($name,)+) = self;
                Some(($($name?,)+))
            }
        }
    };
}
all_present!(A);
all_present!(A, B);
all_present!(A, B, C);
all_present!(A, B, C, D);
all_present!(A, B, C, D, E);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: serde_json::Value) -> Fields {
        let Value::Object(values) = value else {
            panic!("object expected")
        };
        Fields::new(Input {
            values,
            ..Input::default()
        })
    }

    fn text(s: &str) -> Result<String, Refusal> {
        Ok(s.to_owned())
    }

    #[test]
    fn collects_every_missing_and_blank_field() {
        let mut form = fields(json!({"b": "  ", "c": null, "d": [1]}));
        let values = (
            form.required("a", text),
            form.required("b", text),
            form.required("c", text),
            form.required("d", text),
        );
        let Err(ApiError::Fields(errors)) = form.finish(values) else {
            panic!("errors expected")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({
                "a": ["This field is required."],
                "b": ["This field may not be blank."],
                "c": ["This field may not be null."],
                "d": ["Not a valid string."],
            })
        );
    }

    #[test]
    fn null_characters_are_refused_everywhere() {
        let mut form = fields(json!({"name": "a\u{0}b", "password": "pass\u{0}word"}));
        let values = (form.required("name", text), form.password("password"));
        let Err(ApiError::Fields(errors)) = form.finish(values) else {
            panic!("errors expected")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({"name": ["Null characters are not allowed."], "password": ["Null characters are not allowed."]})
        );
    }

    #[test]
    fn trims_text_but_not_passwords() {
        let mut form = fields(json!({"name": "  ann ", "password": " secret "}));
        let values = (form.required("name", text), form.password("password"));
        assert_eq!(
            form.finish(values).unwrap(),
            ("ann".to_owned(), " secret ".to_owned())
        );
    }

    #[test]
    fn integers_and_booleans_come_from_json_or_form_text() {
        let mut form = fields(
            json!({"a": 3, "b": " 4 ", "c": "x", "d": true, "e": "False", "f": "maybe", "g": 1}),
        );
        assert_eq!(
            (form.integer("a", true), form.integer("b", true)),
            (Some(3), Some(4))
        );
        assert_eq!(form.integer("c", true), None);
        assert_eq!(form.integer("missing", false), None);
        assert_eq!(
            (form.boolean("d"), form.boolean("e"), form.boolean("g")),
            (Some(true), Some(false), Some(true))
        );
        assert_eq!((form.boolean("f"), form.boolean("missing")), (None, None));
        let Err(ApiError::Fields(errors)) = form.finish((None::<()>,)) else {
            panic!("errors expected")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({"c": ["A valid integer is required."], "f": ["Must be a valid boolean."]})
        );
    }

    #[test]
    fn text_that_was_not_utf8_is_reported_as_such_by_every_accessor() {
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut form = Fields::new(Input {
            undecodable: names.iter().map(|n| n.to_string()).collect(),
            ..Input::default()
        });
        let values = (
            form.required("a", text),
            form.password("b"),
            form.optional("c", text),
        );
        assert_eq!(form.nullable("d", text), None);
        assert_eq!(form.integer("e", false), None);
        assert_eq!(form.boolean("f"), None);
        assert!(form.has("a") && form.peek("a").is_none());
        let Err(ApiError::Fields(errors)) = form.finish(values) else {
            panic!("errors expected")
        };
        let expected: serde_json::Map<String, Value> = names
            .iter()
            .map(|n| (n.to_string(), json!([NOT_UTF8])))
            .collect();
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            Value::Object(expected)
        );
    }

    #[test]
    fn passwords_over_4096_characters_are_refused() {
        let mut form = fields(json!({"password": "x".repeat(4097), "token": "x".repeat(5000)}));
        let values = (form.password("password"), form.verbatim("token"));
        let Err(ApiError::Fields(errors)) = form.finish(values) else {
            panic!("errors expected")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({"password": ["Ensure this field has no more than 4096 characters."]})
        );
        let mut form = fields(json!({"password": "é".repeat(4096)}));
        assert!(form.password("password").is_some());
    }

    #[test]
    fn nullable_distinguishes_absent_from_null() {
        let mut form = fields(json!({"location": null}));
        assert_eq!(form.nullable("location", text), Some(None));
        assert_eq!(form.nullable("other", text), None);
        assert!(form.finish((Some(()),)).is_ok(), "neither is an error");
    }

    #[test]
    fn parse_refusals_are_reported_under_the_field() {
        let mut form = fields(json!({"n": "x"}));
        let n = form.required("n", |_| Err::<(), _>("Nope.".to_owned()));
        let Err(ApiError::Fields(errors)) = form.finish((n,)) else {
            panic!("errors expected")
        };
        assert_eq!(
            serde_json::to_value(errors).unwrap(),
            json!({"n": ["Nope."]})
        );
    }
}
