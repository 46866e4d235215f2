//! tighten: cut AWS IAM roles for Lambda functions down to least privilege.
//!
//! Data flows one way (see `DESIGN.md`): sources (Python tree, CloudTrail,
//! templates, AWS) become evidence (`SdkCall`, `TrailEvent`), evidence becomes
//! decisions (`Need`), decisions become a `Policy` and its diff and findings.
//! Each stage takes data and returns data; only the edges touch files or AWS.

pub mod actionmap;
pub mod aws;
pub mod cli;
pub mod cloudtrail;
pub mod context;
pub mod diff;
pub mod lint;
pub mod need;
pub mod policy;
pub mod report;
pub mod scan;
pub mod timing;
