//! The role's current policy, from wherever it lives (file, template, IAM),
//! as raw documents with their origin so findings can point back at them.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SourcedPolicy {
    /// Where the document came from: a file path, `inline:NAME`, a managed
    /// policy ARN, or `template.yaml#LogicalId/Policies[0]`.
    pub origin: String,
    /// The file the document was read from, when there is one.
    pub file: Option<String>,
    /// 1-based line of the document in `file`, when known.
    pub line: Option<usize>,
    /// The policy document as written (`{"Version":..., "Statement":...}`).
    pub document: serde_json::Value,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CurrentPolicy {
    /// Identity policies: inline and attached managed policies.
    pub documents: Vec<SourcedPolicy>,
    /// Permission boundary, which intersects with the identity policies.
    pub boundary: Option<SourcedPolicy>,
    /// Policies that could not be read in full (an unknown managed policy):
    /// named, never silently dropped.
    pub warnings: Vec<String>,
}
