//! IAM policy documents: the model, synthesis of a minimal policy from needs,
//! and (later) parsing with locations and local evaluation.

pub mod document;
pub mod current;
pub mod synth;

pub use document::{OneOrMany, PolicyDocument, Statement};
