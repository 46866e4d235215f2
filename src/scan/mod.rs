//! Python parsing and binding resolution: source tree in, `SdkCall`s out.
