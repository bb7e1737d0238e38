//! A split as device tensors, built once, so a batch is an `index_select` rather than a
//! host-side rebuild of every sample.
use prefbench_datasets::{Sample, CANDIDATES};
use rand::seq::{index, SliceRandom};
use rand::SeedableRng;
use rand_pcg::Pcg64;
use tch::{Device, Tensor};

use super::TrainError;
use crate::policy::histories_tensor;

/// Histories [N, 10], candidate ids [N, 20] and the target's index among them [N].
pub struct SplitTensors {
    pub histories: Tensor,
    pub candidates: Tensor,
    pub targets: Tensor,
    /// Host copy of `targets`, for drawing negatives without a device round trip.
    target_positions: Vec<usize>,
}

impl SplitTensors {
    /// The tensors of `samples` over a catalogue of `n_items`; a sample that does not fit the
    /// candidate protocol (20 candidates holding the target, items in the catalogue) is an
    /// error naming it, where a tensor of the wrong shape would abort the process.
    pub fn new(samples: &[Sample], n_items: usize, device: Device) -> Result<Self, TrainError> {
        let target_positions = samples
            .iter()
            .enumerate()
            .map(|(i, s)| fits(i, s, n_items))
            .collect::<Result<Vec<usize>, TrainError>>()?;
        let ids: Vec<i64> = samples
            .iter()
            .flat_map(|s| s.candidates.iter().map(|&c| c as i64))
            .collect();
        let targets: Vec<i64> = target_positions.iter().map(|&t| t as i64).collect();
        Ok(Self {
            histories: histories_tensor(samples.iter(), n_items, device),
            candidates: Tensor::from_slice(&ids)
                .f_view([samples.len() as i64, CANDIDATES as i64])?
                .to_device(device),
            targets: Tensor::from_slice(&targets).to_device(device),
            target_positions,
        })
    }

    pub fn len(&self) -> usize {
        self.target_positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.target_positions.is_empty()
    }

    /// Consecutive (histories, candidates, targets) slices of at most `size` rows.
    pub fn chunks(&self, size: i64) -> impl Iterator<Item = (Tensor, Tensor, Tensor)> + '_ {
        let n = self.len() as i64;
        (0..n).step_by(size as usize).map(move |start| {
            let len = size.min(n - start);
            (
                self.histories.narrow(0, start, len),
                self.candidates.narrow(0, start, len),
                self.targets.narrow(0, start, len),
            )
        })
    }

    /// A shuffled order of the split for one epoch, as batches of row indices.
    pub fn epoch_batches(&self, batch_size: usize, rng: &mut Pcg64) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        order.chunks(batch_size).map(<[usize]>::to_vec).collect()
    }

    /// For each row, the target's candidate position followed by `k` distinct negative
    /// positions drawn uniformly from the 19 others: [B, 1 + k] int64 on `device`.
    pub fn draw_positions(&self, rows: &[usize], k: usize, rng: &mut Pcg64) -> Tensor {
        let mut flat = Vec::with_capacity(rows.len() * (k + 1));
        for &row in rows {
            let target = self.target_positions[row];
            flat.push(target as i64);
            for i in index::sample(rng, CANDIDATES - 1, k) {
                flat.push(if i < target { i as i64 } else { i as i64 + 1 });
            }
        }
        Tensor::from_slice(&flat)
            .view([rows.len() as i64, k as i64 + 1])
            .to_device(self.candidates.device())
    }

    /// Row indices as a device tensor, for `index_select`.
    pub fn rows_tensor(&self, rows: &[usize]) -> Tensor {
        let rows: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        Tensor::from_slice(&rows).to_device(self.candidates.device())
    }
}

/// The target's position among sample `i`'s candidates, if the sample fits the protocol.
fn fits(i: usize, s: &Sample, n_items: usize) -> Result<usize, TrainError> {
    let refuse = |why: String| Err(TrainError::Sample { index: i, why });
    if s.candidates.len() != CANDIDATES {
        return refuse(format!(
            "{} candidates where the protocol has {CANDIDATES}",
            s.candidates.len()
        ));
    }
    if let Some(&item) = s
        .history
        .iter()
        .chain(&s.candidates)
        .find(|&&i| i as usize >= n_items)
    {
        return refuse(format!(
            "item {item} is outside the catalogue of {n_items} items"
        ));
    }
    match s.target_index() {
        Some(position) => Ok(position),
        None => refuse(format!(
            "its target {} is not among its candidates",
            s.target
        )),
    }
}

/// The generator of one training stage: its own stream per (seed, stage), so adding a stage
/// or a run never shifts the random numbers of another.
pub fn stage_rng(seed: u64, stage: u64) -> Pcg64 {
    Pcg64::seed_from_u64(seed ^ stage.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn samples() -> Vec<Sample> {
        (0..5)
            .map(|t| Sample {
                user: t,
                history: vec![100, 101],
                candidates: (0..20).collect(),
                target: t * 4,
            })
            .collect()
    }

    #[test]
    fn a_sample_off_the_protocol_is_an_error_naming_it_not_an_abort() {
        type Edit = fn(&mut Sample);
        let cases: [(Edit, &str); 4] = [
            (
                |s| s.candidates.truncate(19),
                "sample 3: 19 candidates where the protocol has 20",
            ),
            (|s| s.candidates.push(7), "sample 3: 21 candidates"),
            (
                |s| s.history.push(200),
                "sample 3: item 200 is outside the catalogue of 200 items",
            ),
            (
                |s| s.target = 150,
                "sample 3: its target 150 is not among its candidates",
            ),
        ];
        for (edit, message) in cases {
            let mut bad = samples();
            edit(&mut bad[3]);
            let err = SplitTensors::new(&bad, 200, Device::Cpu)
                .err()
                .expect(message);
            assert!(err.to_string().contains(message), "{err}");
        }
    }

    #[test]
    fn drawn_negatives_are_distinct_non_targets() {
        let split = SplitTensors::new(&samples(), 200, Device::Cpu).unwrap();
        let mut rng = stage_rng(0, 1);
        for k in [1, 5, 19] {
            let p = split.draw_positions(&[0, 1, 2, 3, 4], k, &mut rng);
            assert_eq!(p.size(), [5, k as i64 + 1]);
            for row in 0..5 {
                let r: Vec<i64> = Vec::try_from(p.get(row)).unwrap();
                assert_eq!(r[0], row * 4, "target first");
                let negatives: HashSet<i64> = r[1..].iter().copied().collect();
                assert_eq!(negatives.len(), k);
                assert!(!negatives.contains(&(row * 4)));
                assert!(negatives.iter().all(|&n| (0..20).contains(&n)));
            }
        }
    }

    #[test]
    fn epochs_cover_every_row_once() {
        let split = SplitTensors::new(&samples(), 200, Device::Cpu).unwrap();
        let batches = split.epoch_batches(2, &mut stage_rng(3, 0));
        assert_eq!(batches.len(), 3);
        let mut all: Vec<usize> = batches.concat();
        all.sort();
        assert_eq!(all, [0, 1, 2, 3, 4]);
    }
}
