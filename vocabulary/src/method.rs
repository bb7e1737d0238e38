//! The objective names of docs/objectives.md and their parsing, so configs, records and the golden
//! file all speak the same strings.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a method name or a method's K is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    /// The method name is not one of [`Method::ALL`].
    #[error("unknown objective `{name}`; valid names: {valid}")]
    UnknownMethod {
        /// The rejected name.
        name: String,
        /// All valid names, comma-separated.
        valid: String,
    },
    /// DPO is pairwise.
    #[error("dpo needs exactly one negative per sample, got K = {k}; use dmpo or sdpo for K > 1")]
    DpoNeedsOneNegative {
        /// The K of the batch.
        k: i64,
    },
    /// K = 0.
    #[error("the batch has no negatives (K = 0); every objective needs K >= 1")]
    NoNegatives,
}

/// The three multi-negative base objectives that DynamicPO plugs into (docs/objectives.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BaseObjective {
    /// Mean of the negatives' reward margins inside one sigmoid.
    Dmpo,
    /// Softmax (log-sum-exp) over the negatives, with +1e-8 inside the log.
    Sdpo,
    /// Plain likelihoods (no reference model), summed over the negatives.
    Mppo,
}

impl BaseObjective {
    /// The name used in configs and the golden file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dmpo => "dmpo",
            Self::Sdpo => "sdpo",
            Self::Mppo => "mppo",
        }
    }
}

/// Which parts of DynamicPO (docs/objectives.md) are switched on; the ablations isolate each part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DynamicVariant {
    /// Boundary selection and the dual-margin β.
    Full,
    /// Boundary selection with the fixed base β.
    SelectOnly,
    /// Every negative in the loss, each with its dual-margin β (D computed from the selection).
    BetaOnly,
    /// The control of the selection: as many negatives as the boundary holds (|B| per
    /// sample), drawn uniformly at random from the K, with the fixed base β. Against
    /// [`DynamicVariant::SelectOnly`] it tells whether dropping the *right* negatives matters or
    /// dropping *any* |B| of them does as well.
    RandomSubset,
}

impl DynamicVariant {
    /// Whether the β of the loss uses the dual margin (and so `objective.margin` shapes the
    /// result): the full method and the β-only ablation.
    pub fn uses_margin(self) -> bool {
        matches!(self, Self::Full | Self::BetaOnly)
    }
}

/// A preference objective, named as in configs and the golden file (`dpo`, `dmpo`,
/// `dynamicpo-sdpo`, `dynamicpo-mppo-beta-only`, …); serialised as that string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Pairwise DPO; only defined for K = 1 (where it equals DMPO and S-DPO).
    Dpo,
    /// A base objective over all K negatives with the fixed β.
    Base(BaseObjective),
    /// DynamicPO (or one of its ablations) on top of a base objective.
    Dynamic(BaseObjective, DynamicVariant),
}

impl Method {
    /// Every method, in a stable order (vanilla first, then DynamicPO and its ablations).
    pub const ALL: [Method; 16] = {
        use BaseObjective::{Dmpo, Mppo, Sdpo};
        use DynamicVariant::{BetaOnly, Full, RandomSubset, SelectOnly};
        [
            Method::Dpo,
            Method::Base(Dmpo),
            Method::Base(Sdpo),
            Method::Base(Mppo),
            Method::Dynamic(Dmpo, Full),
            Method::Dynamic(Sdpo, Full),
            Method::Dynamic(Mppo, Full),
            Method::Dynamic(Dmpo, SelectOnly),
            Method::Dynamic(Sdpo, SelectOnly),
            Method::Dynamic(Mppo, SelectOnly),
            Method::Dynamic(Dmpo, BetaOnly),
            Method::Dynamic(Sdpo, BetaOnly),
            Method::Dynamic(Mppo, BetaOnly),
            Method::Dynamic(Dmpo, RandomSubset),
            Method::Dynamic(Sdpo, RandomSubset),
            Method::Dynamic(Mppo, RandomSubset),
        ]
    };

    /// The base objective whose formula computes the loss (DPO is DMPO at K = 1).
    pub fn base(&self) -> BaseObjective {
        match *self {
            Method::Dpo => BaseObjective::Dmpo,
            Method::Base(base) | Method::Dynamic(base, _) => base,
        }
    }

    /// Whether DynamicPO's boundary selection runs (full method or an ablation).
    pub fn is_dynamic(&self) -> bool {
        matches!(self, Method::Dynamic(..))
    }

    /// Whether the objective draws random numbers (the random-subset control), so its loss is
    /// a function of the inputs and the libtorch generator, not of the inputs alone.
    pub fn is_random(&self) -> bool {
        self.variant() == Some(DynamicVariant::RandomSubset)
    }

    /// Whether `objective.margin` shapes the result ([`DynamicVariant::uses_margin`]).
    pub fn uses_margin(&self) -> bool {
        self.variant().is_some_and(DynamicVariant::uses_margin)
    }

    /// The DynamicPO variant, `None` for vanilla methods.
    pub fn variant(&self) -> Option<DynamicVariant> {
        match *self {
            Method::Dynamic(_, variant) => Some(variant),
            _ => None,
        }
    }

    /// Checks that the method is defined for `k` negatives per sample (DPO needs K = 1).
    pub fn validate_k(&self, k: i64) -> Result<(), MethodError> {
        if k < 1 {
            return Err(MethodError::NoNegatives);
        }
        if *self == Method::Dpo && k != 1 {
            return Err(MethodError::DpoNeedsOneNegative { k });
        }
        Ok(())
    }

    /// The name used in configs, records and the golden file: the base's name, prefixed with
    /// `dynamicpo-` and suffixed with the ablation for DynamicPO.
    pub fn name(&self) -> &'static str {
        use BaseObjective::{Dmpo, Mppo, Sdpo};
        use DynamicVariant::{BetaOnly, Full, RandomSubset, SelectOnly};
        match *self {
            Method::Dpo => "dpo",
            Method::Base(base) => base.name(),
            Method::Dynamic(Dmpo, Full) => "dynamicpo-dmpo",
            Method::Dynamic(Sdpo, Full) => "dynamicpo-sdpo",
            Method::Dynamic(Mppo, Full) => "dynamicpo-mppo",
            Method::Dynamic(Dmpo, SelectOnly) => "dynamicpo-dmpo-select-only",
            Method::Dynamic(Sdpo, SelectOnly) => "dynamicpo-sdpo-select-only",
            Method::Dynamic(Mppo, SelectOnly) => "dynamicpo-mppo-select-only",
            Method::Dynamic(Dmpo, BetaOnly) => "dynamicpo-dmpo-beta-only",
            Method::Dynamic(Sdpo, BetaOnly) => "dynamicpo-sdpo-beta-only",
            Method::Dynamic(Mppo, BetaOnly) => "dynamicpo-mppo-beta-only",
            Method::Dynamic(Dmpo, RandomSubset) => "dynamicpo-dmpo-random-subset",
            Method::Dynamic(Sdpo, RandomSubset) => "dynamicpo-sdpo-random-subset",
            Method::Dynamic(Mppo, RandomSubset) => "dynamicpo-mppo-random-subset",
        }
    }

    /// The method whose objective this one builds on, for comparisons: the base objective of
    /// a DynamicPO variant (`dynamicpo-sdpo` → `sdpo`); `None` for DPO and the bases.
    pub fn baseline(&self) -> Option<Method> {
        match *self {
            Method::Dynamic(base, _) => Some(Method::Base(base)),
            _ => None,
        }
    }

    /// All valid names, comma-separated, for error messages and `--help`.
    pub fn valid_names() -> String {
        Self::ALL.map(|m| m.to_string()).join(", ")
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = MethodError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| MethodError::UnknownMethod {
                name: name.to_owned(),
                valid: Self::valid_names(),
            })
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_serialises_as_itself() {
        for method in Method::ALL {
            assert_eq!(method.name().parse::<Method>(), Ok(method));
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{}\"", method.name()));
            assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), method);
        }
        let names: std::collections::BTreeSet<_> = Method::ALL.iter().map(Method::name).collect();
        assert_eq!(names.len(), Method::ALL.len(), "names are distinct");
        let err = "dynamicpo".parse::<Method>().unwrap_err();
        assert!(err.to_string().contains("valid names: dpo, dmpo"), "{err}");
    }

    #[test]
    fn the_baseline_of_a_variant_is_its_base_objective() {
        let sdpo = Method::Base(BaseObjective::Sdpo);
        assert_eq!(
            Method::Dynamic(BaseObjective::Sdpo, DynamicVariant::BetaOnly).baseline(),
            Some(sdpo)
        );
        assert_eq!(sdpo.baseline(), None);
        assert_eq!(Method::Dpo.baseline(), None);
    }
}
