//! Which records belong to the role: its sessions, found by
//! `userIdentity.sessionContext.sessionIssuer.arn` (the role's ARN, path
//! included) or by `userIdentity.arn` (`arn:aws:sts::ACCT:assumed-role/NAME/SESSION`,
//! which carries the name but never the path).

/// The role given by `--role`: a bare name, or a full role ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSelector {
    /// The role's name, the last segment of its ARN.
    pub name: String,
    /// Set when `--role` was an ARN: `arn:aws:iam::ACCT:role/path/NAME`.
    pub arn: Option<String>,
    account: Option<String>,
}

/// IAM role names and paths: alphanumerics and `+=,.@_-`, paths add `/`.
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>
fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

impl RoleSelector {
    pub fn parse(role: &str) -> Result<Self, String> {
        let role = role.trim();
        if let Some(rest) = role.strip_prefix("arn:") {
            // arn:PARTITION:iam::ACCOUNT:role/path/NAME
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [partition, service, region, account, resource] = parts[..] else {
                return Err(format!(
                    "--role {role:?}: not an ARN of the form arn:aws:iam::ACCOUNT:role/NAME"
                ));
            };
            let Some(path_name) = resource.strip_prefix("role/") else {
                return Err(format!(
                    "--role {role:?}: not a role ARN (expected ...:role/NAME)"
                ));
            };
            let name = path_name.rsplit('/').next().unwrap_or(path_name);
            let ok = service == "iam"
                && region.is_empty()
                && !partition.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty()
                && path_name.chars().all(|c| c == '/' || valid_name_char(c));
            if !ok {
                return Err(format!(
                    "--role {role:?}: not a valid IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
                ));
            }
            return Ok(RoleSelector {
                name: name.to_string(),
                arn: Some(role.to_string()),
                account: Some(account.to_string()),
            });
        }
        let name = role.strip_prefix("role/").unwrap_or(role);
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid_name_char) {
            return Err(format!(
                "--role {role:?}: not a role name (letters, digits and +=,.@_- only) or a role ARN"
            ));
        }
        Ok(RoleSelector {
            name: name.to_string(),
            arn: None,
            account: None,
        })
    }

    /// Whether a record made by `issuer_arn` / `identity_arn` is this role's.
    pub fn matches(&self, issuer_arn: Option<&str>, identity_arn: Option<&str>) -> bool {
        if let Some(issuer) = issuer_arn {
            return self.matches_role_arn(issuer);
        }
        identity_arn.is_some_and(|a| self.matches_assumed_role_arn(a))
    }

    fn matches_role_arn(&self, arn: &str) -> bool {
        if let Some(mine) = &self.arn {
            return arn == mine;
        }
        // A bare name matches role/NAME and role/any/path/NAME.
        arn.split_once(":role/")
            .is_some_and(|(_, p)| p.rsplit('/').next() == Some(self.name.as_str()))
    }

    fn matches_assumed_role_arn(&self, arn: &str) -> bool {
        let Some((head, rest)) = arn.split_once(":assumed-role/") else {
            return false;
        };
        let Some((name, _session)) = rest.split_once('/') else {
            return false;
        };
        if name != self.name {
            return false;
        }
        match &self.account {
            Some(acct) => head.rsplit(':').next() == Some(acct.as_str()),
            None => true,
        }
    }

    /// The account, when `--role` was an ARN.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_name_matches_any_path_and_sessions() {
        let r = RoleSelector::parse("worker-role").unwrap();
        assert!(r.matches(Some("arn:aws:iam::111122223333:role/worker-role"), None));
        assert!(r.matches(Some("arn:aws:iam::111122223333:role/svc/worker-role"), None));
        assert!(!r.matches(Some("arn:aws:iam::111122223333:role/worker-role-2"), None));
        assert!(r.matches(
            None,
            Some("arn:aws:sts::111122223333:assumed-role/worker-role/fn")
        ));
        assert!(!r.matches(
            None,
            Some("arn:aws:sts::111122223333:assumed-role/other/fn")
        ));
    }

    #[test]
    fn arn_is_exact() {
        let r = RoleSelector::parse("arn:aws:iam::111122223333:role/svc/worker-role").unwrap();
        assert!(r.matches(Some("arn:aws:iam::111122223333:role/svc/worker-role"), None));
        assert!(!r.matches(Some("arn:aws:iam::111122223333:role/worker-role"), None));
        assert!(!r.matches(
            None,
            Some("arn:aws:sts::999999999999:assumed-role/worker-role/fn")
        ));
        assert!(RoleSelector::parse("arn:aws:iam::1:role/x").is_err());
        assert!(RoleSelector::parse("bad name'").is_err());
    }
}
