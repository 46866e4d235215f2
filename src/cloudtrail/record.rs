//! The CloudTrail record as a log file holds it, reduced to the fields tighten
//! reads, and a streaming reader over a file's `{"Records": [...]}` array.
//!
//! Records are deserialised one at a time straight from the file's bytes and
//! borrow their strings from them, so a file costs one buffer and no per-record
//! allocation beyond the few strings that carry JSON escapes. Every field is
//! lenient: a field of an unexpected JSON type reads as absent rather than
//! aborting the file, because `requestParameters` keys mean different things
//! in different services (`name` is a string in SSM and an object elsewhere).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON string borrowed from the input when it has no escapes; any other
/// JSON value reads as `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LenientStr<'a>(pub Option<Cow<'a, str>>);

impl<'a> LenientStr<'a> {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = LenientStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON object read as `T`; any other JSON value reads as `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(m)).map(|t| Lenient(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON array of `T`; elements that are not what `T` expects are dropped
/// by `T`'s own leniency, and a non-array reads as empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LenientVec<T>(pub Vec<T>);

impl<T> Default for LenientVec<T> {
    fn default() -> Self {
        LenientVec(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LenientVec<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(t) = s.next_element::<T>()? {
                    v.push(t);
                }
                Ok(LenientVec(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientVec(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(LenientVec(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Default, Deserialize)]
pub struct SessionIssuer<'a> {
    #[serde(borrow, default)]
    pub arn: LenientStr<'a>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow, default)]
    pub session_issuer: Lenient<SessionIssuer<'a>>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: LenientStr<'a>,
    #[serde(borrow, default)]
    pub arn: LenientStr<'a>,
    #[serde(borrow, default)]
    pub account_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub session_context: Lenient<SessionContext<'a>>,
}

/// One element of `resources[]`.
#[derive(Debug, Default, Deserialize)]
pub struct ResourceRef<'a> {
    #[serde(borrow, default, rename = "ARN")]
    pub arn: LenientStr<'a>,
    #[serde(borrow, default, rename = "type")]
    pub kind: LenientStr<'a>,
}

/// The `requestParameters` keys that name resources. Only these are kept:
/// everything else is skipped by the parser without allocating.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestParameters<'a> {
    #[serde(borrow, default)]
    pub bucket_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub key: LenientStr<'a>,
    #[serde(borrow, default)]
    pub table_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub index_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub queue_url: LenientStr<'a>,
    #[serde(borrow, default)]
    pub function_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub topic_arn: LenientStr<'a>,
    #[serde(borrow, default)]
    pub target_arn: LenientStr<'a>,
    #[serde(borrow, default)]
    pub state_machine_arn: LenientStr<'a>,
    #[serde(borrow, default)]
    pub secret_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub key_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub source_key_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub destination_key_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub names: LenientVec<LenientStr<'a>>,
    #[serde(borrow, default)]
    pub path: LenientStr<'a>,
    #[serde(borrow, default)]
    pub log_group_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub stream_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub delivery_stream_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub event_bus_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub model_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub role_arn: LenientStr<'a>,
}

/// One CloudTrail record, only the fields tighten reads.
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailRecord<'a> {
    #[serde(borrow, default)]
    pub event_source: LenientStr<'a>,
    #[serde(borrow, default)]
    pub event_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub event_time: LenientStr<'a>,
    #[serde(borrow, default)]
    pub aws_region: LenientStr<'a>,
    #[serde(borrow, default)]
    pub recipient_account_id: LenientStr<'a>,
    #[serde(borrow, default)]
    pub error_code: LenientStr<'a>,
    #[serde(borrow, default)]
    pub user_identity: Lenient<UserIdentity<'a>>,
    #[serde(borrow, default)]
    pub resources: LenientVec<Lenient<ResourceRef<'a>>>,
    #[serde(borrow, default)]
    pub request_parameters: Lenient<RequestParameters<'a>>,
}

impl<'a> TrailRecord<'a> {
    pub fn issuer_arn(&self) -> Option<&str> {
        self.user_identity
            .0
            .as_ref()?
            .session_context
            .0
            .as_ref()?
            .session_issuer
            .0
            .as_ref()?
            .arn
            .get()
    }

    pub fn identity_arn(&self) -> Option<&str> {
        self.user_identity.0.as_ref()?.arn.get()
    }

    /// The account the call was made in: `recipientAccountId`, else the
    /// caller's own account.
    pub fn account(&self) -> Option<&str> {
        self.recipient_account_id
            .get()
            .or_else(|| self.user_identity.0.as_ref()?.account_id.get())
    }
}

/// What one element of `Records` turned out to be.
pub enum RecordSlot<'a> {
    Record(Box<TrailRecord<'a>>),
    /// Not a JSON object.
    NotObject,
}

impl<'de: 'a, 'a> Deserialize<'de> for RecordSlot<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Lenient::<TrailRecord<'a>>::deserialize(d)? {
            Lenient(Some(r)) => Ok(RecordSlot::Record(Box::new(r))),
            Lenient(None) => Ok(RecordSlot::NotObject),
        }
    }
}

/// Receives records as the reader meets them, with their index in `Records`.
pub trait RecordSink<'de> {
    fn record(&mut self, index: usize, slot: RecordSlot<'de>);
}

/// Why a log file could not be read to its end.
#[derive(Debug, thiserror::Error)]
pub enum LogFileError {
    #[error("not a CloudTrail log file: no top-level \"Records\" array")]
    NoRecords,
    #[error("invalid JSON after {records} records: {source}")]
    Json {
        records: usize,
        source: serde_json::Error,
    },
}

/// Streams the records of one log file's JSON bytes into `sink`. Records
/// before a syntax error have been delivered when the error is returned.
pub fn read_log_file<'de, S: RecordSink<'de>>(
    bytes: &'de [u8],
    sink: &mut S,
) -> Result<usize, LogFileError> {
    let mut count = 0usize;
    let mut found = false;
    let seed = FileSeed {
        sink,
        count: &mut count,
        found: &mut found,
    };
    // One UTF-8 check of the whole file is several times cheaper than
    // serde_json checking every string it borrows; invalid files take the
    // byte path, which reports where the bad byte is.
    let res = match std::str::from_utf8(bytes) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            seed.deserialize(&mut de).and_then(|()| de.end())
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            seed.deserialize(&mut de).and_then(|()| de.end())
        }
    };
    match res {
        Err(e) => Err(LogFileError::Json {
            records: count,
            source: e,
        }),
        Ok(()) if !found => Err(LogFileError::NoRecords),
        Ok(()) => Ok(count),
    }
}

struct FileSeed<'s, S> {
    sink: &'s mut S,
    count: &'s mut usize,
    found: &'s mut bool,
}

impl<'de, S: RecordSink<'de>> DeserializeSeed<'de> for FileSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: RecordSink<'de>> Visitor<'de> for FileSeed<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail log file object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<LenientStr<'de>>()? {
            if key.get() == Some("Records") {
                *self.found = true;
                m.next_value_seed(RecordsSeed {
                    sink: &mut *self.sink,
                    count: &mut *self.count,
                })?;
            } else {
                m.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

struct RecordsSeed<'s, S> {
    sink: &'s mut S,
    count: &'s mut usize,
}

impl<'de, S: RecordSink<'de>> DeserializeSeed<'de> for RecordsSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: RecordSink<'de>> Visitor<'de> for RecordsSeed<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while let Some(slot) = s.next_element::<RecordSlot<'de>>()? {
            self.sink.record(*self.count, slot);
            *self.count += 1;
        }
        Ok(())
    }
}
