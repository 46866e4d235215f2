//! Output emitters, one per format.

pub mod policy_formats;
