//! A JSON body read as the form it stands for: one object of at most [`MAX_FIELDS`] fields,
//! each a string, number, boolean or null, or an array of those. No field of pingme's takes
//! an object or more than [`MAX_ITEMS`] items, so objects and nested containers are read
//! past (their type kept, for the error message) and an array keeps at most one item more
//! than that (so a field can tell it was too long): a 10 MiB body of `[0,0,0,…]` would
//! otherwise become some 160 MiB of parsed values.

use super::MAX_FIELDS;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A JSON body's top level.
pub enum Body {
    Object(Map<String, Value>),
    /// Anything else: its kind, as DRF names it (`list`, `str`, …).
    Other(&'static str),
}

/// Reads `bytes`; a syntax error, or more than [`MAX_FIELDS`] fields, is the error.
pub fn parse(bytes: &[u8]) -> Result<Body, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let body = reader.deserialize_any(TopLevel)?;
    reader.end()?;
    Ok(body)
}

struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut fields = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if fields.len() == MAX_FIELDS && !fields.contains_key(&name) {
                return Err(de::Error::custom(format!(
                    "too many fields; at most {MAX_FIELDS} are accepted"
                )));
            }
            fields.insert(name, map.next_value::<Scalar>()?.0);
        }
        Ok(Body::Object(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Body::Other("list"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Body, E> {
        Ok(Body::Other("bool"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Body, E> {
        Ok(Body::Other("number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Body, E> {
        Ok(Body::Other("number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Body, E> {
        Ok(Body::Other("number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Body, E> {
        Ok(Body::Other("str"))
    }

    fn visit_unit<E>(self) -> Result<Body, E> {
        Ok(Body::Other("null"))
    }
}

/// The most items an array field is read for.
pub const MAX_ITEMS: usize = 100;

/// One field's value: itself when it is a scalar, an array of its first [`MAX_ITEMS`] + 1
/// items when it is an array (each a scalar, or an empty container), an empty object
/// otherwise.
struct Scalar(Value);

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor { items: true })
    }
}

/// An item of an array field: itself when a scalar, an empty container otherwise.
struct Item(Value);

impl<'de> de::Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Scalar(value) = deserializer.deserialize_any(ScalarVisitor { items: false })?;
        Ok(Self(value))
    }
}

struct ScalarVisitor {
    /// Whether an array's items are kept (a field's) or read past (an item's).
    items: bool,
}

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Scalar, E> {
        Ok(Scalar(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Scalar, E> {
        Ok(Scalar(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Scalar, E> {
        Ok(Scalar(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Scalar, E> {
        Ok(Scalar(Value::from(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Scalar, E> {
        Ok(Scalar(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Scalar, E> {
        Ok(Scalar(Value::String(value)))
    }

    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        let mut items = Vec::new();
        while self.items && items.len() <= MAX_ITEMS {
            match seq.next_element::<Item>()? {
                Some(Item(item)) => items.push(item),
                None => return Ok(Scalar(Value::Array(items))),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar(Value::Object(Map::new())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(text: &str) -> Map<String, Value> {
        match parse(text.as_bytes()).expect("parses") {
            Body::Object(fields) => fields,
            Body::Other(kind) => panic!("a {kind}"),
        }
    }

    #[test]
    fn scalars_and_arrays_of_them_are_kept_and_other_containers_read_past() {
        let fields = object(
            r#"{"a": "x", "b": 2, "c": true, "d": null, "e": [1, [2], {"h": 3}, "i"], "f": {"g": [1]}}"#,
        );
        assert_eq!(
            Value::Object(fields),
            json!({"a": "x", "b": 2, "c": true, "d": null, "e": [1, [], {}, "i"], "f": {}})
        );
    }

    #[test]
    fn an_array_keeps_one_item_more_than_any_field_takes() {
        let long: Vec<usize> = (0..10 * MAX_ITEMS).collect();
        let full = vec![0; MAX_ITEMS];
        let fields = object(&json!({"a": long, "b": full}).to_string());
        assert_eq!(fields["a"], json!(long[..=MAX_ITEMS]));
        assert_eq!(fields["b"], json!(full));
    }

    #[test]
    fn other_bodies_say_what_they_are() {
        let cases = [
            ("[1]", "list"),
            ("3", "number"),
            ("\"x\"", "str"),
            ("null", "null"),
        ];
        for (text, kind) in cases {
            let read = parse(text.as_bytes());
            assert!(matches!(read, Ok(Body::Other(k)) if k == kind), "{text}");
        }
        assert!(parse(b"{} x").is_err(), "trailing characters");
        assert!(parse(b"{").is_err());
    }

    #[test]
    fn at_most_a_thousand_fields() {
        let fields: Vec<String> = (0..MAX_FIELDS).map(|n| format!("\"f{n}\": 0")).collect();
        assert_eq!(
            object(&format!("{{{}}}", fields.join(","))).len(),
            MAX_FIELDS
        );
        let error = parse(format!("{{{}, \"one more\": 1}}", fields.join(",")).as_bytes());
        assert!(error.is_err_and(|e| e.to_string().contains("too many fields")));
        let repeated = parse(format!("{{{}, \"f0\": 1}}", fields.join(",")).as_bytes());
        assert!(repeated.is_ok(), "a repeated name is not one more field");
    }
}
