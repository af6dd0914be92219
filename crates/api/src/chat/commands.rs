//! What a client may send over the chat socket, read into typed commands. A frame is parsed
//! once, here — never poked at later — and a frame that is no command gets the code and
//! sentence of its error frame.

use pingme_domain::messages::MessageBody;
use serde_json::Value;

const MAX_NONCE_CHARS: usize = 100;

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `{"type": "typing"}`.
    Typing,
    /// `{"type": "message", "message": <text>, "nonce"?: <string>}` (`type` optional).
    Message {
        body: MessageBody,
        nonce: Option<String>,
    },
}

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
    let frame: Value = serde_json::from_str(text)
        .map_err(|e| refused("invalid_json", format!("Not JSON: {e}")))?;
    let kind = frame.get("type").map(|t| t.as_str().unwrap_or("?"));
    match (kind, frame.get("message")) {
        (Some("typing"), _) => Ok(Command::Typing),
        (Some("message"), _) | (None, Some(_)) => message(&frame, max_chars),
        (Some(other), _) => Err(refused(
            "unknown_type",
            format!("Unknown frame type {other:?}; use \"message\" or \"typing\"."),
        )),
        (None, None) => Err(refused(
            "invalid_frame",
            "A frame needs a \"type\" or a \"message\".",
        )),
    }
}

fn message(frame: &Value, max_chars: usize) -> Result<Command, Refused> {
    let Some(Value::String(text)) = frame.get("message") else {
        return Err(refused("invalid_message", "\"message\" must be a string."));
    };
    let nonce = match frame.get("nonce") {
        None | Some(Value::Null) => None,
        Some(Value::String(nonce)) if nonce.chars().count() <= MAX_NONCE_CHARS => {
            Some(nonce.clone())
        }
        Some(_) => {
            return Err(refused(
                "invalid_nonce",
                "\"nonce\" must be a string of at most 100 characters.",
            ));
        }
    };
    let body = MessageBody::parse(text, max_chars).map_err(|refusal| {
        let code = if text.trim().is_empty() {
            "empty_message"
        } else {
            "invalid_message"
        };
        refused(code, refusal)
    })?;
    Ok(Command::Message { body, nonce })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

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
        assert_eq!(parse(r#"{"type": "typing"}"#, 10), Ok(Command::Typing));
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

        /// What a client means to send is what the server reads.
        #[test]
        fn messages_read_back_as_sent(text in "[^\u{0}]{1,300}", nonce in proptest::option::of(".{0,100}"), typed in any::<bool>()) {
            prop_assume!(!text.trim().is_empty());
            let mut frame = json!({"message": text, "nonce": nonce});
            if typed {
                frame["type"] = json!("message");
            }
            let Ok(Command::Message { body, nonce: read }) = parse(&frame.to_string(), 4000) else {
                return Err(TestCaseError::fail(format!("not a message: {frame}")));
            };
            prop_assert_eq!(body.as_str(), text.trim());
            prop_assert_eq!(read, nonce);
        }
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
