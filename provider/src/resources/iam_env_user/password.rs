//! The initial console password of a `jit_iam_env_user`: generated here,
//! encrypted to the user's OpenPGP key, and never kept, returned or logged in
//! plaintext. Only the encrypted message (base64) and the key's fingerprint
//! reach Terraform.

use base64::Engine;
use pgp::composed::{Deserializable, MessageBuilder, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Signature, SignatureType};
use pgp::types::KeyDetails;
use rand::seq::SliceRandom;
use rand::Rng;

pub(crate) use crate::aws::iam::Password;

/// Length of a generated password unless the account's password policy asks
/// for more.
pub(crate) const DEFAULT_PASSWORD_LENGTH: usize = 24;

/// IAM's longest console password.
pub(crate) const MAX_PASSWORD_LENGTH: usize = 128;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
/// The symbols IAM password policies count as non-alphanumeric.
const SYMBOLS: &[u8] = b"!@#$%^&*()_+-=[]{}|'";

/// A random password of `length` characters (at least 4, at most 128) with
/// at least one lower-case letter, upper-case letter, digit and symbol, so it
/// meets any IAM password policy of that length. Look-alike characters
/// (`l`, `I`, `O`, `0`, `1`) are left out: the password is typed once by hand.
pub(crate) fn generate_password(length: usize) -> Password {
    let length = length.clamp(4, MAX_PASSWORD_LENGTH);
    let mut rng = rand::rngs::OsRng;
    let classes = [LOWER, UPPER, DIGITS, SYMBOLS];
    let all: Vec<u8> = classes.concat();
    let mut bytes: Vec<u8> = classes
        .iter()
        .map(|class| class[rng.gen_range(0..class.len())])
        .collect();
    while bytes.len() < length {
        bytes.push(all[rng.gen_range(0..all.len())]);
    }
    bytes.shuffle(&mut rng);
    Password::new(bytes.into_iter().map(char::from).collect())
}

/// Why a `pgp_key` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeyError {
    /// `keybase:` keys need a network lookup that this provider does not make.
    #[error("Keybase keys are not supported")]
    Keybase,
    /// Neither ASCII armor nor valid base64.
    #[error("the key is not base64: {0}")]
    NotBase64(String),
    /// Not an OpenPGP public key.
    #[error("the key cannot be read as an OpenPGP public key: {0}")]
    NotAKey(String),
    /// No key usable for encryption.
    #[error("the key `{0}` has no usable encryption key")]
    NoEncryptionKey(String),
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

impl KeyError {
    /// One actionable sentence for the diagnostic detail.
    pub fn hint(&self) -> String {
        let how = "Export the public key with `gpg --export <key-id> | base64 -w0` and paste the result (an ASCII-armored key also works).";
        match self {
            Self::Keybase => format!("Fetch the key yourself and pass it as base64. {how}"),
            Self::NotBase64(_) | Self::NotAKey(_) => format!("{self}. {how}"),
            Self::NoEncryptionKey(_) => format!(
                "{self}: every subkey is revoked, lacks the encryption flag or uses a signing-only algorithm. Add an encryption subkey (`gpg --quick-add-key <fingerprint> cv25519 encr`) and export the key again."
            ),
            Self::Encrypt(_) => format!("{self}. Check the key with `gpg --list-keys`."),
        }
    }
}

/// A parsed recipient key.
#[derive(Debug)]
pub(crate) struct RecipientKey {
    key: SignedPublicKey,
    /// Lower-case hex fingerprint of the primary key (as `gpg --fingerprint`
    /// prints it, without spaces).
    pub fingerprint: String,
}

/// Reads `pgp_key`: a base64-encoded binary public key (as hashicorp/aws
/// takes it) or an ASCII-armored one. Whitespace is ignored.
pub(crate) fn parse_pgp_key(text: &str) -> Result<RecipientKey, KeyError> {
    let trimmed = text.trim();
    if trimmed.starts_with("keybase:") {
        return Err(KeyError::Keybase);
    }
    let key = if trimmed.starts_with("-----BEGIN PGP") {
        SignedPublicKey::from_string(trimmed)
            .map(|(key, _headers)| key)
            .map_err(|e| KeyError::NotAKey(e.to_string()))?
    } else {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| KeyError::NotBase64(e.to_string()))?;
        SignedPublicKey::from_bytes(bytes.as_slice())
            .map_err(|e| KeyError::NotAKey(e.to_string()))?
    };
    let fingerprint = format!("{:x}", key.fingerprint());
    let recipient = RecipientKey { key, fingerprint };
    if recipient.encryption_key().is_none() {
        return Err(KeyError::NoEncryptionKey(recipient.fingerprint.clone()));
    }
    Ok(recipient)
}

/// The key a message is encrypted to.
enum Encrypter<'a> {
    Subkey(&'a SignedPublicSubKey),
    Primary(&'a SignedPublicKey),
}

impl RecipientKey {
    /// The newest valid encryption subkey; else the primary key when its
    /// algorithm encrypts and its self-signature does not forbid it.
    fn encryption_key(&self) -> Option<Encrypter<'_>> {
        let subkey = self
            .key
            .public_subkeys
            .iter()
            .filter(|subkey| {
                subkey.key.algorithm().can_encrypt()
                    && subkey.verify_bindings(&self.key.primary_key).is_ok()
                    && latest_binding(&subkey.signatures).is_some_and(|binding| {
                        let flags = binding.key_flags();
                        flags.encrypt_comms() || flags.encrypt_storage()
                    })
            })
            .max_by_key(|subkey| subkey.key.created_at());
        if let Some(subkey) = subkey {
            return Some(Encrypter::Subkey(subkey));
        }
        let primary_allows = self
            .key
            .details
            .users
            .iter()
            .flat_map(|user| user.signatures.iter())
            .chain(self.key.details.direct_signatures.iter())
            .max_by_key(|signature| signature.created())
            .is_none_or(|signature| {
                let flags = signature.key_flags();
                flags.encrypt_comms() || flags.encrypt_storage() || !has_key_flags(signature)
            });
        (self.key.primary_key.algorithm().can_encrypt() && primary_allows)
            .then_some(Encrypter::Primary(&self.key))
    }

    /// Encrypts `password` to this key: a binary OpenPGP message (SEIPD v1,
    /// AES-256, readable by every current GnuPG), base64-encoded.
    pub fn encrypt(&self, password: &Password) -> Result<String, KeyError> {
        let mut rng = rand::rngs::OsRng;
        let encrypter = self
            .encryption_key()
            .ok_or_else(|| KeyError::NoEncryptionKey(self.fingerprint.clone()))?;
        let mut builder = MessageBuilder::from_bytes("", password.expose().as_bytes().to_vec())
            .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
        let added = match encrypter {
            Encrypter::Subkey(subkey) => builder.encrypt_to_key(&mut rng, subkey).map(|_| ()),
            Encrypter::Primary(primary) => builder.encrypt_to_key(&mut rng, primary).map(|_| ()),
        };
        added.map_err(|e| KeyError::Encrypt(e.to_string()))?;
        let message = builder
            .to_vec(rng)
            .map_err(|e| KeyError::Encrypt(e.to_string()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(message))
    }
}

/// The newest binding signature of a subkey, or `None` when the subkey is
/// revoked or has no binding.
fn latest_binding(signatures: &[Signature]) -> Option<&Signature> {
    if signatures
        .iter()
        .any(|signature| signature.typ() == Some(SignatureType::SubkeyRevocation))
    {
        return None;
    }
    signatures
        .iter()
        .filter(|signature| signature.typ() == Some(SignatureType::SubkeyBinding))
        .max_by_key(|signature| signature.created())
}

/// True when the signature carries a key-flags subpacket at all (old keys
/// without one may encrypt with their primary key).
fn has_key_flags(signature: &Signature) -> bool {
    let flags = signature.key_flags();
    flags.certify()
        || flags.sign()
        || flags.encrypt_comms()
        || flags.encrypt_storage()
        || flags.authentication()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgp::composed::{
        EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedSecretKey,
        SubkeyParamsBuilder,
    };
    use pgp::crypto::ecc_curve::ECCCurve;
    use pgp::ser::Serialize;

    /// A fresh key pair: Ed25519 primary, plus a Curve25519 encryption subkey
    /// when `with_encryption` is set.
    fn key_pair(with_encryption: bool) -> SignedSecretKey {
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("Test <test@example.com>".into());
        if with_encryption {
            params.subkeys(vec![SubkeyParamsBuilder::default()
                .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
                .can_encrypt(EncryptionCaps::All)
                .build()
                .unwrap()]);
        }
        params.build().unwrap().generate(rand::rngs::OsRng).unwrap()
    }

    fn base64_public(secret: &SignedSecretKey) -> String {
        let bytes = secret.to_public_key().to_bytes().unwrap();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn decrypt(secret: &SignedSecretKey, encrypted: &str) -> String {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encrypted)
            .unwrap();
        let mut message = Message::from_bytes(bytes.as_slice())
            .unwrap()
            .decrypt(&"".into(), secret)
            .unwrap();
        String::from_utf8(message.as_data_vec().unwrap()).unwrap()
    }

    #[test]
    fn passwords_have_every_class_and_the_asked_length() {
        for length in [4, 24, 40, 128] {
            let password = generate_password(length);
            let text = password.expose();
            assert_eq!(text.len(), length);
            for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(text.bytes().any(|b| class.contains(&b)), "{length}");
            }
        }
        assert_eq!(generate_password(1).expose().len(), 4);
        assert_eq!(generate_password(500).expose().len(), MAX_PASSWORD_LENGTH);
        assert_ne!(
            generate_password(24).expose(),
            generate_password(24).expose()
        );
    }

    #[test]
    fn base64_and_armored_keys_encrypt_to_the_encryption_subkey() {
        let secret = key_pair(true);
        let armored = secret
            .to_public_key()
            .to_armored_string(Default::default())
            .unwrap();
        let wrapped: String = base64_public(&secret)
            .as_bytes()
            .chunks(64)
            .map(|line| format!("{}\n", String::from_utf8_lossy(line)))
            .collect();
        for text in [base64_public(&secret), armored, wrapped] {
            let key = parse_pgp_key(&text).unwrap();
            assert_eq!(key.fingerprint, format!("{:x}", secret.fingerprint()));
            assert_eq!(key.fingerprint.len(), 40);
            assert!(matches!(key.encryption_key(), Some(Encrypter::Subkey(_))));
            let password = generate_password(24);
            let encrypted = key.encrypt(&password).unwrap();
            assert!(!encrypted.contains(password.expose()));
            assert_eq!(decrypt(&secret, &encrypted), password.expose());
        }
    }

    #[test]
    fn unusable_keys_are_refused_with_a_reason() {
        let signing_only = base64_public(&key_pair(false));
        assert!(matches!(
            parse_pgp_key(&signing_only),
            Err(KeyError::NoEncryptionKey(_))
        ));
        assert!(matches!(
            parse_pgp_key("not base64!"),
            Err(KeyError::NotBase64(_))
        ));
        assert!(matches!(
            parse_pgp_key("aGVsbG8gd29ybGQ="),
            Err(KeyError::NotAKey(_))
        ));
        assert_eq!(
            parse_pgp_key("keybase:alice").unwrap_err(),
            KeyError::Keybase
        );
        assert!(KeyError::Keybase.hint().contains("base64"));
    }
}
