//! The default images, compiled into the binary and served by pingme at stable URLs
//! (`<public URL>/media/defaults/…`), so every image URL in the API loads even before
//! anything was uploaded, whichever media store is configured.

/// Default avatar of an account.
pub const AVATAR: &str = "defaults/avatar.svg";
/// Default icon of a server.
pub const SERVER_ICON: &str = "defaults/server-icon.svg";
/// Default banner of a server.
pub const BANNER: &str = "defaults/banner.svg";
/// Default icon of a category.
pub const CATEGORY_ICON: &str = "defaults/category-icon.svg";

/// The bytes of a default image, by key.
pub fn get(key: &str) -> Option<&'static [u8]> {
    Some(match key {
        AVATAR => include_bytes!("defaults/avatar.svg"),
        SERVER_ICON => include_bytes!("defaults/server-icon.svg"),
        BANNER => include_bytes!("defaults/banner.svg"),
        CATEGORY_ICON => include_bytes!("defaults/category-icon.svg"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_default_is_an_svg_document() {
        for key in [
            super::AVATAR,
            super::SERVER_ICON,
            super::BANNER,
            super::CATEGORY_ICON,
        ] {
            let text = std::str::from_utf8(super::get(key).unwrap()).unwrap();
            assert!(
                text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{key}"
            );
            assert!(!text.contains("<script"), "{key}");
        }
        assert!(super::get("defaults/other.svg").is_none());
    }
}
