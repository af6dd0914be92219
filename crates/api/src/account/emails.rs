//! The e-mails pingme sends about an account, each with a text and an HTML part.

use pingme_domain::account::Account;
use pingme_mail::OutgoingMail;

pub fn verification(account: &Account, link: String) -> OutgoingMail {
    let name = &account.display_name;
    OutgoingMail {
        to: account.email.clone(),
        subject: "Confirm your pingme account".into(),
        text: format!(
            "Hello {name},\n\nConfirm your e-mail address to activate your pingme account:\n\n{link}\n\n\
             If you did not register, ignore this message.\n"
        ),
        html: format!(
            "<p>Hello {name},</p><p>Confirm your e-mail address to activate your pingme account:</p>\
             <p><a href=\"{href}\">Confirm my address</a></p><p>If you did not register, ignore this message.</p>",
            name = escape(name),
            href = escape(&link),
        ),
        link: Some(link),
    }
}

pub fn password_reset(account: &Account, link: String) -> OutgoingMail {
    let name = &account.display_name;
    OutgoingMail {
        to: account.email.clone(),
        subject: "Reset your pingme password".into(),
        text: format!(
            "Hello {name},\n\nSomebody asked to reset the password of your pingme account ({login}). \
             To choose a new one, open:\n\n{link}\n\nThe link works once and expires soon. \
             If it was not you, ignore this message: your password stays as it is.\n",
            login = account.login,
        ),
        html: format!(
            "<p>Hello {name},</p><p>Somebody asked to reset the password of your pingme account ({login}).</p>\
             <p><a href=\"{href}\">Choose a new password</a></p><p>The link works once and expires soon. \
             If it was not you, ignore this message: your password stays as it is.</p>",
            name = escape(name),
            login = escape(&account.login),
            href = escape(&link),
        ),
        link: Some(link),
    }
}

fn escape(text: &str) -> String {
    text.chars()
        .fold(String::with_capacity(text.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#x27;"),
                c => out.push(c),
            }
            out
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
