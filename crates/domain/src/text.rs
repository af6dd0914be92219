//! Validated free text: the shared refusal sentences and a macro for length-bounded values.

/// What a rejected value is told, shown in the field's error list.
pub type Refusal = String;

pub fn too_long(max: usize) -> Refusal {
    format!("Ensure this field has no more than {max} characters.")
}

/// Declares a length-bounded free-text value (display name, server name, description…).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, allow_blank = $blank:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, $crate::text::Refusal> {
                if !$blank && raw.trim().is_empty() {
                    return Err("This field may not be blank.".into());
                }
                if raw.chars().count() > Self::MAX_CHARS {
                    return Err($crate::text::too_long(Self::MAX_CHARS));
                }
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use bounded_text;
