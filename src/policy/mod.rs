//! IAM policy documents: the model, parsing with locations, wildcard
//! patterns and the action index, local evaluation, and synthesis of a
//! minimal policy from needs.

pub mod current;
pub mod document;
pub mod eval;
pub mod json;
pub mod parse;
pub mod pattern;
pub mod synth;

pub use document::{OneOrMany, PolicyDocument, Statement};
pub use eval::{Decision, Evaluation, Evaluator};
pub use parse::{
    Location, ParsedPolicy, ParsedStatement, PolicyError, PolicySet, parse_current,
    parse_policy_text,
};
pub use pattern::{ActionIndex, expand_action_pattern, expand_action_pattern_in};
