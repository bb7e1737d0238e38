//! The check no single record can make: runs that share one SFT reference agree on it. Every
//! record copies its reference's metrics and curve (`sft`), and reports read that block for the
//! SFT line and for "PO below its reference"; one edited copy would move both without any
//! record failing [`crate::validate`].
//!
//! The same reference is the same [`SftIdentity`] trained on the same CPU model and device:
//! a CPU run repeats bit for bit on one CPU model, but libtorch's kernels take different paths
//! on different ones (the published `lastfm-dated` references trained on an AMD EPYC and on an
//! Intel Xeon differ in the 7th digit of their SFT losses), so records of one identity from two
//! kinds of machine hold two trainings of it, not two copies of one.
use crate::error::StoreError;
use crate::record::RunRecord;
use prefbench_vocabulary::SftMetrics;
use serde::Serialize;
use std::collections::btree_map::{BTreeMap, Entry};

/// Refuses the first pair of `records` (each with where it was read) that share an SFT
/// reference and disagree on its block, naming the first field that differs.
pub(crate) fn check_shared_references<'a>(
    records: impl IntoIterator<Item = (&'a RunRecord, &'a str)>,
) -> Result<(), StoreError> {
    let mut first: BTreeMap<(String, String, Option<String>), (&RunRecord, &str)> = BTreeMap::new();
    for (record, origin) in records {
        // A spec that does not read is refused by `validate`, which every reader applies.
        let Ok(identity) = record.identity() else {
            continue;
        };
        let key = (
            identity.reference.key(),
            record.device.clone(),
            record.environment.cpu_model.clone(),
        );
        match first.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert((record, origin));
            }
            Entry::Occupied(seen) => {
                let (earlier, earlier_origin) = *seen.get();
                if let Some(field) = first_difference(&earlier.sft, &record.sft) {
                    return Err(StoreError::SharedReferenceDisagrees {
                        reference: seen.key().0.clone(),
                        field,
                        first: earlier_origin.to_string(),
                        second: origin.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The first field of the SFT block, as the record spells it, in which `a` and `b` differ as
/// stored (JSON): the values a report reads, and a NaN, which a record cannot hold, equals
/// itself there.
fn first_difference(a: &SftMetrics, b: &SftMetrics) -> Option<&'static str> {
    let SftMetrics {
        valid,
        test,
        kept_epoch,
        valid_hr_at_1,
        train_loss,
    } = a;
    [
        (!same(valid, &b.valid), "sft.valid"),
        (!same(test, &b.test), "sft.test"),
        (kept_epoch != &b.kept_epoch, "sft.kept_epoch"),
        (!same(valid_hr_at_1, &b.valid_hr_at_1), "sft.valid_hr_at_1"),
        (!same(train_loss, &b.train_loss), "sft.train_loss"),
    ]
    .into_iter()
    .find_map(|(differs, field)| differs.then_some(field))
}

/// Whether `a` and `b` are stored as the same JSON.
fn same<T: Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}
