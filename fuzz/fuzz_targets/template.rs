//! Arbitrary text as a SAM/CloudFormation template: the YAML/JSON reader,
//! intrinsic resolution (`!Ref`, `!Sub`, `!GetAtt`, cycles included) and
//! function extraction return a template or a located error, never panic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tighten::context::parse_template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = parse_template(Path::new("template.yaml"), text) {
        for f in &t.functions {
            let _ = f.code_dir(Path::new("template.yaml"));
        }
        let _ = t.select(None);
    }
});
