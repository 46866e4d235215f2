//! Reading a Lambda function's configuration: its role, environment, and the
//! settings that imply platform permissions (tracing, VPC).

use std::collections::BTreeMap;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::TracingMode;

use super::error::{AwsError, Call, classify};

/// What tighten needs from GetFunctionConfiguration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionConfig {
    pub name: String,
    pub arn: String,
    /// The execution role's ARN.
    pub role_arn: String,
    /// Environment variables: resource names (`TABLE=orders`) the code reads.
    pub env: BTreeMap<String, String>,
    /// X-Ray active tracing, which needs `xray:PutTraceSegments` and friends.
    pub tracing_active: bool,
    /// Attached to a VPC, which needs the ENI actions.
    pub in_vpc: bool,
    /// e.g. `python3.12`; `None` for container-image functions.
    pub runtime: Option<String>,
    /// e.g. `app.handler`; `None` for container-image functions.
    pub handler: Option<String>,
}

impl FunctionConfig {
    /// The function's region, from its ARN
    /// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`): what
    /// `${AWS::Region}` is for this function.
    pub fn region(&self) -> Option<&str> {
        arn_field(&self.arn, 3).filter(|r| !r.is_empty())
    }

    /// The function's 12-digit account, from its ARN.
    pub fn account(&self) -> Option<&str> {
        arn_field(&self.arn, 4).filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
    }
}

fn arn_field(arn: &str, index: usize) -> Option<&str> {
    arn.strip_prefix("arn:")?;
    arn.split(':').nth(index)
}

/// Reads Lambda function configurations. The SDK implementation is
/// `AwsClients`; tests substitute their own.
pub trait LambdaSource {
    /// The configuration of the function named `name` (a name, partial ARN
    /// or full ARN, as Lambda accepts).
    fn get_function_configuration(&self, name: &str) -> Result<FunctionConfig, AwsError>;
}

pub(crate) async fn fetch_function(
    client: &Client,
    name: &str,
) -> Result<FunctionConfig, AwsError> {
    let call = Call::about("lambda:GetFunctionConfiguration", "function", name);
    let out = client
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    let missing = |field| AwsError::MissingField {
        call: format!("lambda:GetFunctionConfiguration on `{name}`"),
        field,
    };
    let env = out
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    // Lambda reports an empty VpcConfig for functions outside a VPC.
    let in_vpc = out
        .vpc_config()
        .is_some_and(|v| !v.subnet_ids().is_empty() || v.vpc_id().is_some_and(|id| !id.is_empty()));
    Ok(FunctionConfig {
        name: out
            .function_name()
            .ok_or_else(|| missing("FunctionName"))?
            .to_string(),
        arn: out
            .function_arn()
            .ok_or_else(|| missing("FunctionArn"))?
            .to_string(),
        role_arn: out.role().ok_or_else(|| missing("Role"))?.to_string(),
        env,
        tracing_active: out
            .tracing_config()
            .and_then(|t| t.mode())
            .is_some_and(|m| *m == TracingMode::Active),
        in_vpc,
        runtime: out.runtime().map(|r| r.as_str().to_string()),
        handler: out.handler().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_and_account_come_from_the_arn() {
        let f = FunctionConfig {
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders".to_string(),
            ..FunctionConfig::default()
        };
        assert_eq!(f.region(), Some("eu-west-1"));
        assert_eq!(f.account(), Some("123456789012"));
        let none = FunctionConfig::default();
        assert_eq!((none.region(), none.account()), (None, None));
    }
}
