//! AWS failures as tighten reports them: one line each, with the call that
//! failed and a hint at the fix. SDK errors are classified here by their
//! error code and dispatch kind so no SDK type leaves `aws`.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What went wrong talking to AWS. Callers branch on the kind (a missing role
/// is a user typo, throttling is worth a retry later); `Display` is the line
/// the CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({detail}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
    )]
    NoCredentials { detail: String },

    #[error(
        "AWS rejected the credentials on {call}: {message} (expired session? run `aws sso login` or refresh the keys)"
    )]
    BadCredentials { call: String, message: String },

    #[error(
        "AWS denied {call}: {message} (tighten needs the read-only permissions listed in docs/aws.md)"
    )]
    AccessDenied { call: String, message: String },

    #[error("AWS throttled {call}: {message} (too many requests; wait and run again)")]
    Throttled { call: String, message: String },

    #[error(
        "no such {kind} `{name}` ({call}): {message} (check the name, the account and --region)"
    )]
    NotFound {
        kind: &'static str,
        name: String,
        call: String,
        message: String,
    },

    #[error(
        "cannot reach the AWS endpoint for {call}: {detail} (check the network, --region and AWS_ENDPOINT_URL)"
    )]
    Unreachable { call: String, detail: String },

    #[error(
        "{call} timed out: {detail} (the endpoint did not answer; check the network and --region)"
    )]
    Timeout { call: String, detail: String },

    #[error(
        "no AWS region configured: pass --region or set AWS_REGION (or `region` in the profile)"
    )]
    NoRegion,

    #[error("{call} failed: {code}: {message}")]
    Service {
        call: String,
        code: String,
        message: String,
    },

    #[error("{call} failed: {detail}")]
    Other { call: String, detail: String },

    #[error("{call} returned an incomplete answer: no {field}")]
    MissingField { call: String, field: &'static str },

    #[error("policy document `{origin}` from IAM is not valid JSON: {reason}")]
    BadDocument { origin: String, reason: String },
}

/// What a call was about, so a "not found" can name the thing that is missing.
pub(crate) struct Call<'a> {
    /// The IAM-style name of the API call, e.g. `iam:GetRole`.
    pub operation: &'static str,
    /// The kind and name of the resource the call is about, if any.
    pub subject: Option<(&'static str, &'a str)>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(operation: &'static str) -> Self {
        Call {
            operation,
            subject: None,
        }
    }

    pub(crate) fn about(operation: &'static str, kind: &'static str, name: &'a str) -> Self {
        Call {
            operation,
            subject: Some((kind, name)),
        }
    }

    fn describe(&self) -> String {
        match self.subject {
            Some((kind, name)) => format!("{} on {kind} `{name}`", self.operation),
            None => self.operation.to_string(),
        }
    }
}

/// Error codes meaning "this thing does not exist", across IAM and Lambda.
const NOT_FOUND_CODES: &[&str] = &["NoSuchEntity", "ResourceNotFoundException"];

/// Codes for a signature, key or session token AWS does not accept.
const BAD_CREDENTIAL_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

/// Throttling codes the SDK's retry classifier also knows; they surface only
/// once its retries are spent.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
];

/// The one-line `AwsError` for an SDK error from `operation` (an IAM-style
/// name such as `cloudtrail:LookupEvents`), for other modules that drive
/// their own SDK clients (CloudTrail, Athena) and want the same messages.
pub fn from_sdk_error<E, R>(err: SdkError<E, R>, operation: &'static str) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    classify(err, &Call::new(operation))
}

/// Turns an SDK error into the one-line `AwsError` the user sees.
pub(crate) fn classify<E, R>(err: SdkError<E, R>, call: &Call<'_>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let described = call.describe();
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().unwrap_or("").to_string();
            let message = inner
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(inner).to_string());
            from_code(&code, message, call, described)
        }
        SdkError::DispatchFailure(dispatch) => {
            if let Some(creds) = find_source::<CredentialsError>(&err) {
                return AwsError::NoCredentials {
                    detail: causes(creds),
                };
            }
            // "dispatch failure" says nothing the variant does not.
            let detail = match dispatch.as_connector_error() {
                Some(connector) => causes(connector),
                None => causes(&err),
            };
            if dispatch.is_timeout() {
                AwsError::Timeout {
                    call: described,
                    detail,
                }
            } else {
                AwsError::Unreachable {
                    call: described,
                    detail,
                }
            }
        }
        SdkError::TimeoutError(_) => AwsError::Timeout {
            call: described,
            detail: "no answer within tighten's time limit".to_string(),
        },
        _ => {
            if let Some(creds) = find_source::<CredentialsError>(&err) {
                return AwsError::NoCredentials {
                    detail: causes(creds),
                };
            }
            let text = causes(&err);
            if text.contains("No region") || text.contains("no region") {
                return AwsError::NoRegion;
            }
            AwsError::Other {
                call: described,
                detail: text,
            }
        }
    }
}

fn from_code(code: &str, message: String, call: &Call<'_>, described: String) -> AwsError {
    if NOT_FOUND_CODES.contains(&code) {
        let (kind, name) = call.subject.unwrap_or(("resource", ""));
        return AwsError::NotFound {
            kind,
            name: name.to_string(),
            call: call.operation.to_string(),
            message,
        };
    }
    if BAD_CREDENTIAL_CODES.contains(&code) {
        return AwsError::BadCredentials {
            call: described,
            message,
        };
    }
    if ACCESS_DENIED_CODES.contains(&code) {
        return AwsError::AccessDenied {
            call: described,
            message,
        };
    }
    if THROTTLING_CODES.contains(&code) {
        return AwsError::Throttled {
            call: described,
            message,
        };
    }
    AwsError::Service {
        call: described,
        code: if code.is_empty() {
            "unknown error".to_string()
        } else {
            code.to_string()
        },
        message,
    }
}

/// The first error of type `T` in `err`'s source chain.
fn find_source<'e, T: StdError + 'static>(err: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The messages of `err` and its sources joined with ": ", skipping a
/// message its parent already repeats. `DisplayErrorContext` would append a
/// Debug dump the user cannot act on.
fn causes(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = one_line(&e.to_string());
        if !text.is_empty() && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The SDK's messages can span lines; the CLI prints one.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        let call = Call::about("iam:GetRole", "role", "app-role");
        let e = from_code("NoSuchEntity", "gone".into(), &call, call.describe());
        assert_eq!(
            e.to_string(),
            "no such role `app-role` (iam:GetRole): gone (check the name, the account and --region)"
        );
        let e = from_code("AccessDenied", "nope".into(), &call, call.describe());
        assert!(matches!(e, AwsError::AccessDenied { .. }), "{e:?}");
        assert!(e.to_string().contains("iam:GetRole on role `app-role`"));
        let e = from_code("ThrottlingException", "slow".into(), &call, call.describe());
        assert!(matches!(e, AwsError::Throttled { .. }), "{e:?}");
        let e = from_code("ExpiredToken", "old".into(), &call, call.describe());
        assert!(matches!(e, AwsError::BadCredentials { .. }), "{e:?}");
        let e = from_code("", "odd".into(), &call, call.describe());
        assert_eq!(
            e.to_string(),
            "iam:GetRole on role `app-role` failed: unknown error: odd"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle: refused")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn causes_chain_without_repeats_or_debug() {
        let err = Outer(Middle(std::io::Error::other("refused")));
        assert_eq!(causes(&err), "outer: middle: refused");
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}
