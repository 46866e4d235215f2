//! Who tighten is talking to AWS as: the caller's account, used to fill
//! `${AWS::AccountId}` when nothing better is known.

use aws_sdk_sts::Client;

use super::error::{AwsError, Call, classify};

/// Answers GetCallerIdentity. The SDK implementation is `AwsClients`.
pub trait StsSource {
    /// The 12-digit account ID of the credentials in use.
    fn account_id(&self) -> Result<String, AwsError>;
}

pub(crate) async fn fetch_account_id(client: &Client) -> Result<String, AwsError> {
    let call = Call::new("sts:GetCallerIdentity");
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| AwsError::MissingField {
            call: "sts:GetCallerIdentity".to_string(),
            field: "Account",
        })
}
