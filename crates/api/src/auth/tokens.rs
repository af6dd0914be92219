//! Signed tokens: the access/refresh JWT pair (HS256 over `SECRET_KEY`, the claims of the
//! original's SimpleJWT), and the tokens inside e-mailed verification and reset links.
//!
//! Each link purpose signs with its own key derived from the secret, so no kind of token
//! can ever be accepted as another. Every token carries the account's `token_version`;
//! a password change raises it, which revokes all of them at once.

use crate::config::TokenLifetimes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, get_current_timestamp,
};
use pingme_domain::AccountId;
use pingme_domain::account::Account;
use pingme_domain::sessions::{RefreshGrant, SessionId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// The claims of an access or refresh token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: TokenType,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub user_id: i64,
    /// The account's `token_version` at issue. Required: a token without it was not issued
    /// by pingme — the original backend signed with the same `SECRET_KEY`, but its `user_id`s
    /// may name other people here.
    pub ver: i64,
    /// The login session the token belongs to (`GET /api/account/sessions/`). Absent from
    /// access tokens issued before sessions existed, which work until they expire; a
    /// refresh token without it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// A freshly signed token, or why signing failed (which HS256 over plain claims never does).
pub type Signed<T> = Result<T, jsonwebtoken::errors::Error>;

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed, forged or expired.
    Invalid,
    /// A valid token of the other type (a refresh token used as an access token).
    WrongType,
}

/// The claims inside an e-mailed link's token.
#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    uid: i64,
    exp: u64,
    ver: i64,
}

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

pub struct Tokens {
    session: Keys,
    verify_email: Keys,
    password_reset: Keys,
    validation: Validation,
    lifetimes: TokenLifetimes,
}

/// What `POST /api/token/` returns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub refresh: String,
    pub access: String,
}

impl Tokens {
    pub fn new(secret: &SecretString, lifetimes: TokenLifetimes) -> Self {
        let secret = secret.expose_secret().as_bytes();
        let derived =
            |purpose: &str| Keys::new(&[format!("pingme/{purpose}/").as_bytes(), secret].concat());
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is exact: the configured lifetimes are the lifetimes.
        validation.leeway = 0;
        Self {
            session: Keys::new(secret),
            verify_email: derived("verify-email"),
            password_reset: derived("password-reset"),
            validation,
            lifetimes,
        }
    }

    /// An access and a refresh token of login session `session`, and what the session keeps
    /// of the refresh token. The session lasts as long as the later of the two.
    pub fn pair(
        &self,
        account: &Account,
        session: &SessionId,
    ) -> Signed<(TokenPair, RefreshGrant)> {
        let (refresh, refresh_claims) = self.issue(account, session, TokenType::Refresh)?;
        let (access, access_claims) = self.issue(account, session, TokenType::Access)?;
        let grant = RefreshGrant {
            jti: refresh_claims.jti,
            expires_at: refresh_claims.exp.max(access_claims.exp),
        };
        Ok((TokenPair { refresh, access }, grant))
    }

    fn issue(
        &self,
        account: &Account,
        session: &SessionId,
        token_type: TokenType,
    ) -> Signed<(String, Claims)> {
        let lifetime = match token_type {
            TokenType::Access => self.lifetimes.access,
            TokenType::Refresh => self.lifetimes.refresh,
        };
        let iat = get_current_timestamp();
        let claims = Claims {
            token_type,
            exp: iat + lifetime.as_secs(),
            iat,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id: account.id.0,
            ver: account.token_version,
            sid: Some(session.to_string()),
        };
        Ok((sign(&claims, &self.session)?, claims))
    }

    /// The claims of a valid, unexpired token of the expected type. Whether the account
    /// still exists and the version still holds is the caller's check against the store.
    pub fn decode(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        let claims =
            jsonwebtoken::decode::<Claims>(token, &self.session.decoding, &self.validation)
                .map_err(|_| TokenError::Invalid)?
                .claims;
        if claims.token_type == expected {
            Ok(claims)
        } else {
            Err(TokenError::WrongType)
        }
    }

    /// The `uid` and `token` of a verification link.
    pub fn verification_link(&self, account: &Account) -> Signed<(String, String)> {
        self.link(account, &self.verify_email, self.lifetimes.verify_email)
    }

    /// The account a verification link names, if the link is genuine and unexpired.
    pub fn check_verification_link(&self, uid: &str, token: &str) -> Option<AccountId> {
        self.check_link(uid, token, &self.verify_email)
            .map(|(id, _)| id)
    }

    /// The `uid` and `token` of a password-reset link, valid until the password changes.
    pub fn reset_link(&self, account: &Account) -> Signed<(String, String)> {
        self.link(account, &self.password_reset, self.lifetimes.password_reset)
    }

    /// The account and token version a reset link was issued under.
    pub fn check_reset_link(&self, uid: &str, token: &str) -> Option<(AccountId, i64)> {
        self.check_link(uid, token, &self.password_reset)
    }

    fn link(&self, account: &Account, keys: &Keys, lifetime: Duration) -> Signed<(String, String)> {
        let claims = LinkClaims {
            uid: account.id.0,
            exp: get_current_timestamp() + lifetime.as_secs(),
            ver: account.token_version,
        };
        Ok((encode_uid(account.id), sign(&claims, keys)?))
    }

    fn check_link(&self, uid: &str, token: &str, keys: &Keys) -> Option<(AccountId, i64)> {
        let id = decode_uid(uid)?;
        let claims = jsonwebtoken::decode::<LinkClaims>(token, &keys.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.uid == id.0).then_some((id, claims.ver))
    }
}

fn sign<T: Serialize>(claims: &T, keys: &Keys) -> Signed<String> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding)
}

/// The contract's `uid=<id>`: the account id itself.
fn encode_uid(id: AccountId) -> String {
    id.0.to_string()
}

/// An account id as links carry it: decimal, or Django's `urlsafe_base64_encode(pk)` form
/// (`MQ` for 1). The two cannot be confused: base64 of ASCII digits always starts with `M`
/// or `N`.
fn decode_uid(uid: &str) -> Option<AccountId> {
    if let Ok(id) = uid.parse() {
        return Some(AccountId(id));
    }
    let bytes = URL_SAFE_NO_PAD.decode(uid.trim_end_matches('=')).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .parse()
        .ok()
        .map(AccountId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingme_domain::Timestamp;

    fn account(id: i64, version: i64) -> Account {
        Account {
            id: AccountId(id),
            login: "alice".into(),
            email: "alice@example.com".into(),
            display_name: "alice".into(),
            location: None,
            content: String::new(),
            image: None,
            is_staff: false,
            is_active: true,
            verified: true,
            token_version: version,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    fn sid() -> SessionId {
        SessionId::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn tokens(secret: &str) -> Tokens {
        Tokens::new(
            &SecretString::from(secret.to_owned()),
            TokenLifetimes::default(),
        )
    }

    #[test]
    fn access_tokens_carry_the_contract_claims() {
        let t = tokens("0123456789abcdef0123456789abcdef");
        let pair = t.pair(&account(7, 3), &sid()).unwrap().0;
        let claims = t.decode(&pair.access, TokenType::Access).unwrap();
        assert_eq!(
            (claims.user_id, claims.ver, claims.token_type),
            (7, 3, TokenType::Access)
        );
        assert_eq!(claims.exp - claims.iat, 24 * 3600);
        assert_eq!(claims.jti.len(), 32);
        assert_eq!(claims.sid.as_deref(), Some(sid().as_str()));
        let refresh = t.decode(&pair.refresh, TokenType::Refresh).unwrap();
        assert_eq!(refresh.exp - refresh.iat, 4 * 24 * 3600);
        assert_eq!(refresh.sid, claims.sid);
    }

    #[test]
    fn a_token_of_the_other_type_is_refused() {
        let t = tokens("0123456789abcdef0123456789abcdef");
        let pair = t.pair(&account(1, 0), &sid()).unwrap().0;
        assert_eq!(
            t.decode(&pair.refresh, TokenType::Access).unwrap_err(),
            TokenError::WrongType
        );
        assert_eq!(
            t.decode(&pair.access, TokenType::Refresh).unwrap_err(),
            TokenError::WrongType
        );
    }

    #[test]
    fn tokens_signed_with_another_secret_are_refused() {
        let theirs = tokens("another-secret-another-secret-xx")
            .pair(&account(1, 0), &sid())
            .unwrap()
            .0
            .access;
        assert_eq!(
            tokens("0123456789abcdef0123456789abcdef")
                .decode(&theirs, TokenType::Access)
                .unwrap_err(),
            TokenError::Invalid
        );
        assert_eq!(
            tokens("k")
                .decode("not.a.token", TokenType::Access)
                .unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn tokens_of_the_original_backend_are_refused() {
        // SimpleJWT's claims, signed with the very same SECRET_KEY, but without `ver`.
        let secret = "0123456789abcdef0123456789abcdef";
        let claims = serde_json::json!({
            "token_type": "access",
            "exp": get_current_timestamp() + 3600,
            "iat": get_current_timestamp(),
            "jti": "0123456789abcdef0123456789abcdef",
            "user_id": 1,
        });
        let django = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        let result = tokens(secret).decode(&django, TokenType::Access);
        assert_eq!(result.unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn links_are_bound_to_their_purpose_and_account() {
        let t = tokens("0123456789abcdef0123456789abcdef");
        let (uid, token) = t.verification_link(&account(42, 0)).unwrap();
        assert_eq!(uid, "42");
        assert_eq!(t.check_verification_link(&uid, &token), Some(AccountId(42)));
        assert_eq!(
            t.check_verification_link("NDI", &token),
            Some(AccountId(42))
        );
        assert_eq!(
            t.check_reset_link(&uid, &token),
            None,
            "a verification token is not a reset token"
        );
        assert_eq!(
            t.check_verification_link(&encode_uid(AccountId(43)), &token),
            None
        );
        assert_eq!(t.check_verification_link("%%%", &token), None);
        let session = t.pair(&account(42, 0), &sid()).unwrap().0.access;
        assert_eq!(
            t.check_verification_link(&uid, &session),
            None,
            "a session token is not a link token"
        );
        let (uid, reset) = t.reset_link(&account(42, 5)).unwrap();
        assert_eq!(t.check_reset_link(&uid, &reset), Some((AccountId(42), 5)));
    }
}
