//! The line a field of a config is written on, as the YAML parser itself places it. The parser
//! reports positions only with errors, so the search walks the document's mappings down the
//! field's path and raises an error at the key it seeks: the parser marks that error with the
//! key's own position ([`serde_norway::Error::location`]). Block or flow style, quoting,
//! comments and anchors are the parser's business, not a text search's.
use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::Deserializer;

/// The 1-based line of the key at `path` (`["po", "lr"]`), or of the longest prefix of it
/// that is written out (a setting left at its default points at its section).
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    (1..=path.len())
        .rev()
        .find_map(|n| key_line(text, &path[..n]))
}

fn key_line(text: &str, path: &[&str]) -> Option<usize> {
    let found = Cell::new(false);
    let walk = Seek {
        path,
        found: &found,
    }
    .deserialize(serde_norway::Deserializer::from_str(text));
    // Any other error (a document that does not parse) has no key to point at.
    match (walk, found.get()) {
        (Err(e), true) => e.location().map(|l| l.line()),
        _ => None,
    }
}

/// Walks a value down the remaining `path`; whatever is off the path is skipped. `found` is
/// set where the error raised is the mark of the key sought.
struct Seek<'a> {
    path: &'a [&'a str],
    found: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return IgnoredAny.visit_map(map).map(drop);
        };
        let key = || Key {
            name: first,
            found: rest.is_empty().then_some(self.found),
        };
        while let Some(on_path) = map.next_key_seed(key())? {
            match on_path {
                true => map.next_value_seed(Seek {
                    path: rest,
                    found: self.found,
                })?,
                false => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(drop)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        data.variant::<IgnoredAny>()?
            .1
            .newtype_variant::<IgnoredAny>()?;
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A mapping key: whether it is `name`; when it is the last key of the path (`found` given),
/// it is marked by an error instead.
struct Key<'a> {
    name: &'a str,
    found: Option<&'a Cell<bool>>,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        match (key == self.name, self.found) {
            (true, Some(found)) => {
                found.set(true);
                Err(E::custom("the key sought"))
            }
            (on_path, _) => Ok(on_path),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        IgnoredAny.visit_map(map).map(|_| false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}
