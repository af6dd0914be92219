//! What a gateway client may send (`{"op", "d"}`), read into typed ops, and what an
//! identified session does with each.

use crate::AppState;
use pingme_app::AppError;
use pingme_domain::ChannelId;
use pingme_domain::account::Account;
use pingme_domain::messages::MessageId;
use pingme_domain::presence::Status;
use pingme_realtime::PresenceConn;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// One client frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Op {
    Identify {
        token: String,
        /// The status the session starts with (`online` if none).
        status: Option<Status>,
    },
    Resume {
        token: String,
        session_id: String,
        seq: u64,
    },
    /// `seq`: the last number the client has seen, if it has seen any.
    Heartbeat {
        seq: Option<u64>,
    },
    Typing {
        channel_id: i64,
    },
    Ack {
        channel_id: i64,
        message_id: i64,
    },
    Presence {
        status: Status,
    },
}

/// Why a frame was refused: the error frame's `code` and `detail`.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
}

fn refusal(code: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal {
        code,
        detail: detail.into(),
    }
}

#[derive(Deserialize)]
struct Identify {
    token: String,
    status: Option<String>,
}

#[derive(Deserialize)]
struct Resume {
    token: String,
    session_id: String,
    seq: u64,
}

#[derive(Deserialize)]
struct Typing {
    channel_id: i64,
}

#[derive(Deserialize)]
struct Ack {
    channel_id: i64,
    message_id: i64,
}

#[derive(Deserialize)]
struct Presence {
    status: String,
}

/// Reads a frame: a JSON object with a known `op` and the `d` that op takes.
pub fn parse(text: &str) -> Result<Op, Refusal> {
    let frame: Value = serde_json::from_str(text)
        .map_err(|_| refusal("invalid_json", "Frames are JSON objects: {\"op\", \"d\"}."))?;
    let op = frame
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| refusal("invalid_op", "\"op\" must be a string."))?;
    let data = frame.get("d").cloned().unwrap_or(Value::Null);
    Ok(match op {
        "identify" => {
            let Identify { token, status } = data_of(op, data)?;
            let status = status.as_deref().map(status_of).transpose()?;
            Op::Identify { token, status }
        }
        "resume" => {
            let Resume {
                token,
                session_id,
                seq,
            } = data_of(op, data)?;
            Op::Resume {
                token,
                session_id,
                seq,
            }
        }
        // A `d` without a readable `seq` is still a heartbeat: it lets nothing go.
        "heartbeat" => Op::Heartbeat {
            seq: data.get("seq").and_then(Value::as_u64),
        },
        "typing" => {
            let Typing { channel_id } = data_of(op, data)?;
            Op::Typing { channel_id }
        }
        "ack" => {
            let Ack {
                channel_id,
                message_id,
            } = data_of(op, data)?;
            Op::Ack {
                channel_id,
                message_id,
            }
        }
        "presence" => {
            let Presence { status } = data_of(op, data)?;
            Op::Presence {
                status: status_of(&status)?,
            }
        }
        other => {
            let shown: String = other.chars().take(64).collect();
            return Err(refusal("unknown_op", format!("Unknown op \"{shown}\".")));
        }
    })
}

fn status_of(status: &str) -> Result<Status, Refusal> {
    Status::parse(status).ok_or_else(|| {
        refusal(
            "invalid_data",
            "\"status\" is one of \"online\", \"idle\", \"dnd\" and \"invisible\".",
        )
    })
}

fn data_of<T: DeserializeOwned>(op: &str, data: Value) -> Result<T, Refusal> {
    serde_json::from_value(data).map_err(|error| {
        refusal(
            "invalid_data",
            format!("The \"d\" of \"{op}\" does not fit: {error}."),
        )
    })
}

/// The answer to a heartbeat.
pub fn heartbeat_ack() -> String {
    r#"{"op":"heartbeat_ack","d":null}"#.to_owned()
}

/// Carries out an op of an identified session; the frame to answer with, if any.
pub async fn carry_out(
    state: &AppState,
    account: &Account,
    session: &Arc<str>,
    presence: &PresenceConn,
    op: Op,
) -> Result<Option<String>, Refusal> {
    match op {
        Op::Heartbeat { .. } => Ok(Some(heartbeat_ack())),
        Op::Identify { .. } | Op::Resume { .. } => Err(refusal(
            "already_identified",
            "This socket is identified already.",
        )),
        Op::Typing { channel_id } => {
            let channel = ChannelId(channel_id);
            if state.limits.typing(account.id, channel) {
                state
                    .app
                    .typing_in(account, channel)
                    .await
                    .map_err(app_refusal)?;
            }
            Ok(None)
        }
        Op::Ack {
            channel_id,
            message_id,
        } => {
            if message_id < 1 {
                return Err(refusal(
                    "invalid_data",
                    "\"message_id\" must be at least 1.",
                ));
            }
            let (channel, message) = (ChannelId(channel_id), MessageId(message_id));
            match state
                .app
                .ack(account, channel, message, Some(session.clone()))
                .await
            {
                // An ack of a channel one can no longer read (left, deleted) is moot: a
                // client saying again what it read is not refused for it.
                Ok(_) | Err(AppError::NotFound | AppError::Forbidden(_)) => Ok(None),
                Err(other) => Err(app_refusal(other)),
            }
        }
        Op::Presence { status } => {
            // Saying the status the session has changes nothing, and costs nothing.
            if state.presence.status_of(presence) == Some(status) {
                return Ok(None);
            }
            if !state.limits.presence(session) {
                return Err(refusal(
                    "rate_limited",
                    "Too many status changes; try again in a little while.",
                ));
            }
            state.presence.set(presence, status).await;
            Ok(None)
        }
    }
}

fn app_refusal(error: AppError) -> Refusal {
    match error {
        AppError::NotFound => refusal("not_found", "No such channel."),
        AppError::Forbidden(detail) => refusal("forbidden", detail),
        AppError::BadRequest(detail) => refusal("refused", detail),
        // A store that cannot be reached, or worse: the cause is logged, not told.
        other => {
            tracing::warn!(error = %other, "a gateway op failed");
            refusal(
                "unavailable",
                "The server could not do that now; try again.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_into_ops() {
        assert_eq!(
            parse(r#"{"op":"identify","d":{"token":"t"}}"#),
            Ok(Op::Identify {
                token: "t".into(),
                status: None
            })
        );
        assert_eq!(
            parse(r#"{"op":"identify","d":{"token":"t","status":"invisible"}}"#),
            Ok(Op::Identify {
                token: "t".into(),
                status: Some(Status::Invisible)
            })
        );
        assert_eq!(
            parse(r#"{"op":"presence","d":{"status":"idle"}}"#),
            Ok(Op::Presence {
                status: Status::Idle
            })
        );
        assert_eq!(
            parse(r#"{"op":"resume","d":{"token":"t","session_id":"s","seq":4}}"#),
            Ok(Op::Resume {
                token: "t".into(),
                session_id: "s".into(),
                seq: 4
            })
        );
        assert_eq!(
            parse(r#"{"op":"heartbeat","d":{"seq":3}}"#),
            Ok(Op::Heartbeat { seq: Some(3) })
        );
        let none = Ok(Op::Heartbeat { seq: None });
        assert_eq!(parse(r#"{"op":"heartbeat"}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":null}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":{"seq":null}}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":{}}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":{"seq":"3"}}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":{"seq":-1}}"#), none);
        assert_eq!(parse(r#"{"op":"heartbeat","d":42}"#), none);
        assert_eq!(
            parse(r#"{"op":"ack","d":{"channel_id":1,"message_id":2}}"#),
            Ok(Op::Ack {
                channel_id: 1,
                message_id: 2
            })
        );
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        let code = |text: &str| parse(text).unwrap_err().code;
        assert_eq!(code("nope"), "invalid_json");
        assert_eq!(code("[1]"), "invalid_op");
        assert_eq!(code(r#"{"op":5}"#), "invalid_op");
        assert_eq!(code(r#"{"op":"dance"}"#), "unknown_op");

        assert_eq!(code(r#"{"op":"identify","d":{}}"#), "invalid_data");
        let away = r#"{"op":"identify","d":{"token":"t","status":"away"}}"#;
        assert_eq!(code(away), "invalid_data");
        assert_eq!(
            code(r#"{"op":"resume","d":{"token":"t","session_id":"s","seq":-1}}"#),
            "invalid_data"
        );
        let long = format!(r#"{{"op":"{}"}}"#, "x".repeat(500));
        assert!(parse(&long).unwrap_err().detail.len() < 100);
    }
}
