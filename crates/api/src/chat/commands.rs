//! What a client may send over the chat socket, read into typed commands: one type per
//! command, picked by the frame's `type`. A frame is read once, in one pass of the JSON
//! deserializer that keeps only the keys the commands use (no tree of the frame is built),
//! here — never poked at later — and a frame that is no command gets the code and sentence
//! of its error frame.

use pingme_domain::messages::MessageBody;
use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

const MAX_NONCE_CHARS: usize = 100;
/// How much of an unknown frame `type` its error frame repeats.
const MAX_ECHOED_CHARS: usize = 64;

/// A command a client may send.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `{"type": "message", ...}`, or a frame with a `message` and no `type`.
    Message(Message),
    /// `{"type": "typing"}`.
    Typing(Typing),
}

/// `{"type": "message", "message": <text>, "nonce"?: <string or null>}` (`type` optional).
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub body: MessageBody,
    /// The client's id for the message (at most 100 characters), sent back with it.
    pub nonce: Option<String>,
}

/// `{"type": "typing"}`; whatever else the frame holds is ignored.
#[derive(Debug, PartialEq, Eq)]
pub struct Typing;

/// Why a frame is no command: the error frame's `code` and `detail`.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub detail: String,
}

fn refused(code: &'static str, detail: impl Into<String>) -> Refused {
    Refused {
        code,
        detail: detail.into(),
    }
}

/// Reads one text frame; messages are at most `max_chars` long.
pub fn parse(text: &str, max_chars: usize) -> Result<Command, Refused> {
    let frame = Frame::read(text).map_err(|e| refused("invalid_json", format!("Not JSON: {e}")))?;
    frame.command(max_chars)
}

impl Message {
    fn parse(frame: Frame, max_chars: usize) -> Result<Command, Refused> {
        let Some(Field::Text(text)) = frame.message else {
            return Err(refused("invalid_message", "\"message\" must be a string."));
        };
        let nonce = match frame.nonce {
            None | Some(Field::Null) => None,
            Some(Field::Text(nonce)) if nonce.chars().count() <= MAX_NONCE_CHARS => {
                Some(nonce.into_owned())
            }
            Some(_) => {
                return Err(refused(
                    "invalid_nonce",
                    "\"nonce\" must be a string of at most 100 characters.",
                ));
            }
        };
        let body = MessageBody::parse(&text, max_chars).map_err(|refusal| {
            let code = if text.trim().is_empty() {
                "empty_message"
            } else {
                "invalid_message"
            };
            refused(code, refusal)
        })?;
        Ok(Command::Message(Self { body, nonce }))
    }
}

/// A frame as read: what each key the commands use holds (the last one of a key given
/// twice, as JSON objects are read). Anything that is not an object has none of them.
#[derive(Debug, Default, PartialEq)]
struct Frame<'a> {
    kind: Option<Field<'a>>,
    message: Option<Field<'a>>,
    nonce: Option<Field<'a>>,
}

impl<'a> Frame<'a> {
    /// Reads the frame in one pass: all of it must be JSON, and only the keys of its own
    /// object the commands use are kept.
    fn read(text: &'a str) -> serde_json::Result<Self> {
        let mut frame = Frame::default();
        let mut json = serde_json::Deserializer::from_str(text);
        json.deserialize_any(Reader {
            frame: Some(&mut frame),
        })?;
        json.end()?;
        Ok(frame)
    }

    /// The command the frame's `type` names (`message` when it has none but a `message`).
    fn command(self, max_chars: usize) -> Result<Command, Refused> {
        match (&self.kind, &self.message) {
            (Some(Field::Text(kind)), _) if kind == "typing" => Ok(Command::Typing(Typing)),
            (Some(Field::Text(kind)), _) if kind == "message" => Message::parse(self, max_chars),
            (None, Some(_)) => Message::parse(self, max_chars),
            (Some(kind), _) => {
                // Cut short: an error frame is the socket's own, not shared like a
                // broadcast, and up to a queue's worth of them may wait for a slow reader.
                let kind: String = match kind {
                    Field::Text(kind) => kind.chars().take(MAX_ECHOED_CHARS).collect(),
                    _ => "?".into(),
                };
                Err(refused(
                    "unknown_type",
                    format!("Unknown frame type {kind:?}; use \"message\" or \"typing\"."),
                ))
            }
            (None, None) => Err(refused(
                "invalid_frame",
                "A frame needs a \"type\" or a \"message\".",
            )),
        }
    }
}

/// A JSON value as the commands see it: a string (borrowed from the frame unless it has
/// escapes), `null`, or anything else.
#[derive(Debug, PartialEq)]
enum Field<'a> {
    Text(Cow<'a, str>),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Reader { frame: None })
    }
}

/// Reads one JSON value whole, keeping nothing of arrays and objects — but, given the
/// frame to fill in, the keys the commands use of the object it reads.
struct Reader<'f, 'a> {
    frame: Option<&'f mut Frame<'a>>,
}

impl<'a> Visitor<'a> for Reader<'_, 'a> {
    type Value = Field<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'a>>(mut self, mut map: A) -> Result<Field<'a>, A::Error> {
        // Keys are read as values are, borrowed unless they have escapes.
        while let Some(key) = map.next_key::<Field>()? {
            let value = map.next_value()?;
            let Some(frame) = self.frame.as_deref_mut() else {
                continue;
            };
            match key {
                Field::Text(key) if key == "type" => frame.kind = Some(value),
                Field::Text(key) if key == "message" => frame.message = Some(value),
                Field::Text(key) if key == "nonce" => frame.nonce = Some(value),
                _ => {}
            }
        }
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Field<'a>, A::Error> {
        while seq.next_element::<Field>()?.is_some() {}
        Ok(Field::Other)
    }

    fn visit_borrowed_str<E: Error>(self, text: &'a str) -> Result<Field<'a>, E> {
        Ok(Field::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<Field<'a>, E> {
        Ok(Field::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: Error>(self, text: String) -> Result<Field<'a>, E> {
        Ok(Field::Text(Cow::Owned(text)))
    }

    fn visit_unit<E: Error>(self) -> Result<Field<'a>, E> {
        Ok(Field::Null)
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn code(text: &str) -> &'static str {
        parse(text, 4000).unwrap_err().code
    }

    #[test]
    fn each_kind_of_bad_frame_has_its_code() {
        assert_eq!(code("{"), "invalid_json");
        assert_eq!(code("[]"), "invalid_frame");
        assert_eq!(code(r#"{"type": 3}"#), "unknown_type");
        assert_eq!(code(r#"{"type": "dance"}"#), "unknown_type");
        assert_eq!(code(r#"{"message": 3}"#), "invalid_message");
        assert_eq!(code(r#"{"message": "  "}"#), "empty_message");
        assert_eq!(code(r#"{"message": "a\u0000b"}"#), "invalid_message");
        assert_eq!(
            code(&json!({"message": "x".repeat(4001)}).to_string()),
            "invalid_message"
        );
        assert_eq!(code(r#"{"message": "hi", "nonce": 5}"#), "invalid_nonce");
        assert_eq!(
            parse(r#"{"type": "typing"}"#, 10),
            Ok(Command::Typing(Typing))
        );
    }

    #[test]
    fn frames_read_as_json_objects_are() {
        let typing = Ok(Command::Typing(Typing));
        // A key given twice: the last one counts.
        assert_eq!(parse(r#"{"type": "dance", "type": "typing"}"#, 10), typing);
        assert_eq!(
            code(r#"{"type": "typing", "type": "dance"}"#),
            "unknown_type"
        );
        let Ok(Command::Message(message)) = parse(r#"{"message": 1, "message": "b"}"#, 10) else {
            panic!("the last message counts");
        };
        assert_eq!(message.body.as_str(), "b");
        // Typing ignores the rest of the frame, valid or not.
        assert_eq!(
            parse(r#"{"message": 3, "nonce": [], "type": "typing"}"#, 10),
            typing
        );
        // `type` decides even when it comes last, and escapes are read.
        let Ok(Command::Message(message)) = parse(
            r#"{"nonce": null, "message": "h\u00e9", "type": "m\u0065ssage"}"#,
            10,
        ) else {
            panic!("a message");
        };
        assert_eq!((message.body.as_str(), message.nonce), ("hé", None));
        // The frame is read whole: what follows the keys the commands use is JSON too.
        assert_eq!(code(r#"{"type": "typing", "x": 1e400}"#), "invalid_json");
        assert_eq!(code(r#"{"type": "typing", "x": "\ud800"}"#), "invalid_json");
        assert_eq!(code(r#"{"type": "typing"} {}"#), "invalid_json");
        assert_eq!(code(r#"[{"type": "typing"}"#), "invalid_json");
        assert_eq!(
            code(&format!("{}1{}", "[".repeat(200), "]".repeat(200))),
            "invalid_json"
        );
        // Not an object: nothing to read a command from.
        for frame in [
            r#"[{"type": "typing"}]"#,
            r#""typing""#,
            "null",
            "1.5",
            "true",
        ] {
            assert_eq!(code(frame), "invalid_frame", "{frame}");
        }
    }

    #[test]
    fn an_unknown_type_is_repeated_cut_short() {
        let long = "é".repeat(5000);
        let refused = parse(&format!(r#"{{"type": "{long}"}}"#), 10).unwrap_err();
        assert_eq!(refused.code, "unknown_type");
        let repeated = format!("{:?}", "é".repeat(MAX_ECHOED_CHARS));
        assert_eq!(
            refused.detail,
            format!(r#"Unknown frame type {repeated}; use "message" or "typing"."#)
        );
    }

    #[test]
    fn a_type_that_is_no_string_is_unknown_even_beside_a_message() {
        let refused = parse(r#"{"type": null, "message": "hi"}"#, 10).unwrap_err();
        assert_eq!(refused.code, "unknown_type");
        assert_eq!(
            refused.detail,
            r#"Unknown frame type "?"; use "message" or "typing"."#
        );
        assert_eq!(code(r#"{"type": "message"}"#), "invalid_message");
        assert_eq!(code(r#"{"message": "  ", "nonce": 5}"#), "invalid_nonce");
        assert_eq!(code(r#"{"message": 5, "nonce": 5}"#), "invalid_message");
    }

    /// Any JSON value the client could send, nested a few levels.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,40}".prop_map(Value::String),
            prop::sample::select(vec!["message", "typing", "nonce", "type", ""])
                .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec!["type", "message", "nonce", "other", ""])
                        .prop_map(str::to_owned),
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever arrives, the answer is a command or one of the documented codes.
        #[test]
        fn any_text_is_a_command_or_a_documented_refusal(text in ".{0,200}") {
            check(&text)?;
        }

        #[test]
        fn any_json_is_a_command_or_a_documented_refusal(value in any_json()) {
            check(&value.to_string())?;
        }

        /// The one-pass reading sees what the reading through a JSON tree saw.
        #[test]
        fn any_json_reads_as_the_tree_did(value in any_json(), max in 0usize..50) {
            let text = value.to_string();
            prop_assert_eq!(Frame::read(&text).map_err(|e| e.to_string()), tree(&text), "{}", text);
            prop_assert_eq!(parse(&text, max), tree(&text).map_err(not_json).and_then(|f| f.command(max)));
        }

        /// Also for objects with a key given twice, extra spaces, and broken or cut text.
        #[test]
        fn any_frame_text_reads_as_the_tree_did(
            entries in prop::collection::vec((
                prop::sample::select(vec!["type", "message", "nonce", "other", "typ\\u0065"]),
                any_json(),
            ), 0..5),
            space in prop::sample::select(vec!["", " ", "\n\t"]),
            cut in any::<prop::sample::Index>(),
            junk in prop::sample::select(vec!["", "}", ",", "\"", "\\", "1e400", "\\ud800"]),
        ) {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{space}\"{key}\"{space}:{space}{value}"))
                .collect();
            let whole = format!("{{{}}}", entries.join(","));
            let mut cut_at = cut.index(whole.len() + 1);
            while !whole.is_char_boundary(cut_at) {
                cut_at -= 1;
            }
            for text in [whole.clone(), format!("{}{junk}{}", &whole[..cut_at], &whole[cut_at..])] {
                prop_assert_eq!(Frame::read(&text).map_err(|e| e.to_string()), tree(&text), "{}", text);
            }
        }

        /// What a client means to send is what the server reads.
        #[test]
        fn messages_read_back_as_sent(text in "[^\u{0}]{1,300}", nonce in proptest::option::of(".{0,100}"), typed in any::<bool>()) {
            prop_assume!(!text.trim().is_empty());
            let mut frame = json!({"message": text, "nonce": nonce});
            if typed {
                frame["type"] = json!("message");
            }
            let Ok(Command::Message(Message { body, nonce: read })) = parse(&frame.to_string(), 4000) else {
                return Err(TestCaseError::fail(format!("not a message: {frame}")));
            };
            prop_assert_eq!(body.as_str(), text.trim());
            prop_assert_eq!(read, nonce);
        }
    }

    /// The frame as the reading this one replaced saw it, through a `serde_json::Value` tree:
    /// the oracle the one-pass reading is held to.
    fn tree(text: &str) -> Result<Frame<'_>, String> {
        let tree: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let field = |key| {
            tree.get(key).map(|value| match value {
                Value::String(text) => Field::Text(text.clone().into()),
                Value::Null => Field::Null,
                _ => Field::Other,
            })
        };
        Ok(Frame {
            kind: field("type"),
            message: field("message"),
            nonce: field("nonce"),
        })
    }

    fn not_json(error: String) -> Refused {
        refused("invalid_json", format!("Not JSON: {error}"))
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        const CODES: [&str; 7] = [
            "invalid_json",
            "invalid_frame",
            "unknown_type",
            "invalid_message",
            "empty_message",
            "invalid_nonce",
            "",
        ];
        match parse(text, 4000) {
            Ok(_) => Ok(()),
            Err(refused) => {
                prop_assert!(CODES[..6].contains(&refused.code), "{refused:?}");
                prop_assert!(!refused.detail.is_empty());
                Ok(())
            }
        }
    }
}
