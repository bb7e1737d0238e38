//! The embedded synthetic dataset for tests and the offline demo (docs/datasets.md, synthetic).
//!
//! Items fall into latent clusters; inside a cluster they are ordered, and a user tends to step
//! a short way forward from the previous item, so the next item is learnable from the history.
//! Users move between a few clusters of their own, popular items are drawn more often, and a
//! share of each candidate list comes from the target's cluster: those negatives sit near the
//! decision boundary while the rest are easy, the situation DynamicPO is about.
use std::collections::HashSet;

use rand::seq::index;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::error::SyntheticError;
use crate::sample::{Dataset, ItemId, Sample, CANDIDATES, MAX_HISTORY};

/// Version of the generator's algorithm; bumped whenever the same config would give other
/// samples, so caches and run ids never mix the two.
pub const RECIPE_VERSION: u32 = 1;

/// Generator parameters; all of them go into the dataset card and the run id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticConfig {
    pub items: usize,
    pub users: usize,
    pub clusters: usize,
    /// Clusters each user moves between.
    pub clusters_per_user: usize,
    /// Inclusive range of interactions per user.
    pub min_sequence: usize,
    pub max_sequence: usize,
    /// Probability of leaving the current cluster for another of the user's clusters.
    pub switch_probability: f64,
    /// Probability that an interaction is a uniformly random item (unlearnable noise).
    pub noise: f64,
    /// Zipf exponent of item popularity inside a cluster (0 = uniform).
    pub popularity_skew: f64,
    /// Share of the 19 negatives drawn from the target's own cluster (hard negatives).
    pub hard_negative_share: f64,
    /// Share of users held out for validation and for test (each).
    pub holdout_share: f64,
    pub seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            items: 600,
            users: 900,
            clusters: 12,
            clusters_per_user: 3,
            min_sequence: 6,
            max_sequence: 20,
            switch_probability: 0.15,
            noise: 0.1,
            popularity_skew: 0.8,
            hard_negative_share: 0.25,
            holdout_share: 0.1,
            seed: 0,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SyntheticError {
    SyntheticError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl SyntheticConfig {
    /// Rejects settings that could not yield 20 distinct candidates outside every history.
    pub fn validate(&self) -> Result<(), SyntheticError> {
        if self.clusters == 0 || self.clusters > self.items {
            return Err(invalid("clusters", "must be between 1 and `items`"));
        }
        if self.items / self.clusters <= self.max_sequence {
            return Err(invalid(
                "items",
                "each cluster needs more than max_sequence items (items / clusters)",
            ));
        }
        if self.items < self.max_sequence + CANDIDATES {
            return Err(invalid(
                "items",
                format!("needs at least max_sequence + {CANDIDATES} items"),
            ));
        }
        if self.min_sequence < 4 || self.min_sequence > self.max_sequence {
            return Err(invalid(
                "min_sequence",
                "needs 4 <= min_sequence <= max_sequence (a sample needs 3 history items)",
            ));
        }
        if self.clusters_per_user == 0 || self.clusters_per_user > self.clusters {
            return Err(invalid(
                "clusters_per_user",
                "must be between 1 and `clusters`",
            ));
        }
        for (field, p) in [
            ("switch_probability", self.switch_probability),
            ("noise", self.noise),
            ("hard_negative_share", self.hard_negative_share),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(field, "must be a probability in [0, 1]"));
            }
        }
        if !(0.0..0.5).contains(&self.holdout_share) || self.users < 10 {
            return Err(invalid(
                "holdout_share",
                "must be in [0, 0.5) with at least 10 users",
            ));
        }
        Ok(())
    }
}

/// Generates the dataset; the same config always gives the same samples.
pub fn generate(config: &SyntheticConfig) -> Result<Dataset, SyntheticError> {
    config.validate()?;
    let mut rng = Pcg64::seed_from_u64(config.seed);
    let world = World::new(config);
    let holdout = ((config.users as f64) * config.holdout_share).round() as usize;
    let mut users: Vec<u32> = (0..config.users as u32).collect();
    users.shuffle(&mut rng);
    let (valid_users, rest) = users.split_at(holdout);
    let (test_users, _) = rest.split_at(holdout);
    let valid_users: HashSet<u32> = valid_users.iter().copied().collect();
    let test_users: HashSet<u32> = test_users.iter().copied().collect();

    let (mut train, mut valid, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for user in 0..config.users as u32 {
        let sequence = world.sequence(config, &mut rng);
        let split = if valid_users.contains(&user) {
            &mut valid
        } else if test_users.contains(&user) {
            &mut test
        } else {
            &mut train
        };
        for position in 3..sequence.len() {
            let history = sequence[position.saturating_sub(MAX_HISTORY)..position].to_vec();
            let target = sequence[position];
            let candidates = world.candidates(config, &history, target, &mut rng);
            split.push(Sample {
                user,
                history,
                candidates,
                target,
            });
        }
    }
    Ok(Dataset {
        name: "synthetic".into(),
        n_items: config.items,
        titles: Some(
            (0..config.items)
                .map(|i| world.title(i as ItemId))
                .collect(),
        ),
        // The generator's ids are the internal ids: nothing to keep beside them.
        source_ids: None,
        train,
        valid,
        test,
    })
}

/// Cluster membership and popularity of the catalogue.
struct World {
    /// Items of each cluster, in the order users walk through them.
    members: Vec<Vec<ItemId>>,
    cluster_of: Vec<usize>,
    /// Cumulative popularity weights inside each cluster.
    popularity: Vec<Vec<f64>>,
}

impl World {
    fn new(config: &SyntheticConfig) -> Self {
        let mut members = vec![Vec::new(); config.clusters];
        let mut cluster_of = vec![0; config.items];
        for item in 0..config.items {
            members[item % config.clusters].push(item as ItemId);
            cluster_of[item] = item % config.clusters;
        }
        let popularity = members
            .iter()
            .map(|m| {
                let mut total = 0.0;
                (0..m.len())
                    .map(|rank| {
                        total += 1.0 / ((rank + 1) as f64).powf(config.popularity_skew);
                        total
                    })
                    .collect()
            })
            .collect();
        Self {
            members,
            cluster_of,
            popularity,
        }
    }

    /// A record-like title whose genre names the item's cluster, the way real titles hint at
    /// what an item is, so that the text-aware policy has something to read; the other words
    /// follow a hash of the id and the id keeps titles distinct.
    fn title(&self, item: ItemId) -> String {
        const GENRES: [&str; 12] = [
            "jazz",
            "punk rock",
            "baroque",
            "hip hop",
            "ambient",
            "bluegrass",
            "techno",
            "opera",
            "reggae",
            "heavy metal",
            "soul",
            "flamenco",
        ];
        const ADJECTIVES: [&str; 8] = [
            "Silent", "Golden", "Broken", "Electric", "Midnight", "Wild", "Distant", "Velvet",
        ];
        const NOUNS: [&str; 8] = [
            "River", "Heart", "Machine", "Garden", "Highway", "Mirror", "Storm", "Letters",
        ];
        let cluster = self.cluster_of[item as usize];
        let hash = (u64::from(item) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        let genre = GENRES[cluster % GENRES.len()];
        let series = cluster / GENRES.len() + 1;
        format!(
            "{} {}, {genre} vol. {series} no. {item}",
            ADJECTIVES[hash as usize % ADJECTIVES.len()],
            NOUNS[(hash >> 8) as usize % NOUNS.len()],
        )
    }

    fn popular_in(&self, cluster: usize, rng: &mut Pcg64) -> usize {
        let weights = &self.popularity[cluster];
        let u = rng.random::<f64>() * weights[weights.len() - 1];
        weights.partition_point(|&w| w < u).min(weights.len() - 1)
    }

    /// One user's interaction sequence: distinct items, as in the public datasets.
    fn sequence(&self, config: &SyntheticConfig, rng: &mut Pcg64) -> Vec<ItemId> {
        let length = rng.random_range(config.min_sequence..=config.max_sequence);
        let own: Vec<usize> = index::sample(rng, config.clusters, config.clusters_per_user)
            .into_iter()
            .collect();
        let mut cluster = own[0];
        let mut position = self.popular_in(cluster, rng);
        let mut seen = HashSet::new();
        let mut sequence = Vec::with_capacity(length);
        while sequence.len() < length {
            let item = if rng.random::<f64>() < config.noise {
                rng.random_range(0..config.items as ItemId)
            } else {
                if rng.random::<f64>() < config.switch_probability {
                    cluster = own[rng.random_range(0..own.len())];
                    position = self.popular_in(cluster, rng);
                } else {
                    position += 1 + (rng.random::<f64>() * 2.0) as usize;
                }
                let m = &self.members[cluster];
                m[position % m.len()]
            };
            if seen.insert(item) {
                sequence.push(item);
            } else {
                position += 1;
            }
        }
        sequence
    }

    /// The candidate protocol: 19 negatives outside history and target, a share of them from
    /// the target's cluster, then the target, shuffled.
    fn candidates(
        &self,
        config: &SyntheticConfig,
        history: &[ItemId],
        target: ItemId,
        rng: &mut Pcg64,
    ) -> Vec<ItemId> {
        let negatives = CANDIDATES - 1;
        let hard = (negatives as f64 * config.hard_negative_share).round() as usize;
        let mut chosen: Vec<ItemId> = Vec::with_capacity(CANDIDATES);
        let allowed = |item: ItemId, chosen: &[ItemId]| {
            item != target && !history.contains(&item) && !chosen.contains(&item)
        };
        let same_cluster = &self.members[self.cluster_of[target as usize]];
        for _ in 0..hard {
            let pool: Vec<ItemId> = same_cluster
                .iter()
                .copied()
                .filter(|&i| allowed(i, &chosen))
                .collect();
            if pool.is_empty() {
                break;
            }
            chosen.push(pool[rng.random_range(0..pool.len())]);
        }
        while chosen.len() < negatives {
            let item = rng.random_range(0..config.items as ItemId);
            if allowed(item, &chosen) {
                chosen.push(item);
            }
        }
        chosen.push(target);
        chosen.shuffle(rng);
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SyntheticConfig {
        SyntheticConfig {
            items: 200,
            users: 60,
            clusters: 4,
            ..SyntheticConfig::default()
        }
    }

    #[test]
    fn same_seed_same_samples_other_seed_other_samples() {
        let a = generate(&small()).unwrap();
        let b = generate(&small()).unwrap();
        assert_eq!(a.train, b.train);
        assert_eq!(a.test, b.test);
        let c = generate(&SyntheticConfig { seed: 1, ..small() }).unwrap();
        assert_ne!(a.train, c.train);
    }

    #[test]
    fn samples_follow_the_candidate_protocol() {
        let d = generate(&small()).unwrap();
        assert!(!d.train.is_empty() && !d.valid.is_empty() && !d.test.is_empty());
        for s in d.train.iter().chain(&d.valid).chain(&d.test) {
            assert!((3..=MAX_HISTORY).contains(&s.history.len()));
            assert_eq!(s.candidates.len(), CANDIDATES);
            let distinct: HashSet<_> = s.candidates.iter().collect();
            assert_eq!(distinct.len(), CANDIDATES);
            assert!(s.target_index().is_some());
            assert!(s.candidates.iter().all(|c| !s.history.contains(c)));
            assert!(s.candidates.iter().all(|&c| (c as usize) < d.n_items));
        }
    }

    #[test]
    fn users_do_not_cross_splits() {
        let d = generate(&small()).unwrap();
        let users = |s: &[Sample]| s.iter().map(|x| x.user).collect::<HashSet<_>>();
        assert!(users(&d.train).is_disjoint(&users(&d.test)));
        assert!(users(&d.valid).is_disjoint(&users(&d.test)));
    }

    #[test]
    fn hard_negatives_share_the_target_cluster() {
        let config = SyntheticConfig {
            hard_negative_share: 1.0,
            ..small()
        };
        let d = generate(&config).unwrap();
        let s = &d.train[0];
        let cluster = |i: ItemId| i as usize % config.clusters;
        let same = s
            .negatives()
            .filter(|&n| cluster(n) == cluster(s.target))
            .count();
        assert_eq!(same, CANDIDATES - 1);
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let err = generate(&SyntheticConfig {
            noise: 1.5,
            ..small()
        })
        .unwrap_err();
        assert!(err.to_string().contains("synthetic.noise"), "{err}");
    }
}
