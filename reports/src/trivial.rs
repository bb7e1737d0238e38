//! Trivial baselines: what HR@1 needs no learning at all (a random pick, the most popular
//! candidate, the item that most often follows the last one, the candidate next in id
//! order). A PO method beaten by one of them has learnt less than a count; and when the
//! id-order baseline beats everything, the data carries an ordering artifact (histories
//! sorted by item id, not by time) that the models can exploit instead of preferences.
use crate::dataset::{DatasetResults, HR_AT_1};
use crate::format::{number, MISSING};
use prefbench_vocabulary::Method;
use serde_json::Value;

/// One trivial baseline of one dataset, as its dataset card reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrivialBaseline {
    /// The dataset's name, as the records' `cell.dataset` spells it.
    pub dataset: String,
    /// `random`, `popularity`, `successor` or `id-order`.
    pub name: String,
    /// What the baseline predicts, in one sentence, for the report's table.
    pub description: String,
    pub valid_hr_at_1: f64,
    pub test_hr_at_1: f64,
}

/// The baseline whose win over every method signals histories sorted by id.
pub const ID_ORDER: &str = "id-order";

impl TrivialBaseline {
    /// The baselines in a dataset card's top-level `trivial` array of `{name, description,
    /// valid_hr_at_1, test_hr_at_1}`. Tolerant, because cards are written by other versions:
    /// a card without the array gives none, an entry without a name is skipped, a missing
    /// description is empty and a missing or non-numeric value is NaN (shown as n/a, never
    /// counted as beating anything).
    pub fn from_card(dataset: &str, card: &Value) -> Vec<Self> {
        let Some(entries) = card.get("trivial").and_then(Value::as_array) else {
            return Vec::new();
        };
        let value = |e: &Value, key: &str| e.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
        entries
            .iter()
            .filter_map(|e| {
                Some(Self {
                    dataset: dataset.to_string(),
                    name: e.get("name")?.as_str()?.to_string(),
                    description: e
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    valid_hr_at_1: value(e, "valid_hr_at_1"),
                    test_hr_at_1: value(e, "test_hr_at_1"),
                })
            })
            .collect()
    }
}

/// The cells (method, K, mean test HR@1) a trivial baseline beats, each with the baselines
/// that beat it, strongest first.
fn beaten<'d>(data: &DatasetResults<'d>) -> Vec<(Method, usize, f64, Vec<&'d TrivialBaseline>)> {
    data.test_cells(HR_AT_1)
        .iter()
        .filter(|(_, _, s)| s.mean.is_finite())
        .filter_map(|(method, k, s)| {
            let mut by: Vec<&TrivialBaseline> = data
                .trivial
                .iter()
                .copied()
                .filter(|t| t.test_hr_at_1 > s.mean)
                .collect();
            by.sort_by(|a, b| b.test_hr_at_1.total_cmp(&a.test_hr_at_1));
            (!by.is_empty()).then_some((method, k, s.mean, by))
        })
        .collect()
}

/// Whether `id-order` beats every method, the SFT reference and the other baselines.
pub(crate) fn ordering_artifact<'d>(data: &DatasetResults<'d>) -> Option<&'d TrivialBaseline> {
    let id_order = data
        .trivial
        .iter()
        .copied()
        .find(|t| t.name == ID_ORDER && t.test_hr_at_1.is_finite())?;
    let cells = data.test_cells(HR_AT_1);
    let others = cells
        .values()
        .map(|s| s.mean)
        .chain(data.sft(HR_AT_1).map(|s| s.mean))
        .chain(
            data.trivial
                .iter()
                .filter(|t| t.name != ID_ORDER)
                .map(|t| t.test_hr_at_1),
        );
    let mut others = others.peekable();
    others.peek()?;
    others
        .all(|v| id_order.test_hr_at_1 > v || v.is_nan())
        .then_some(id_order)
}

/// The warning blocks at the top of a dataset's section: every cell a trivial baseline beats,
/// and the ordering artifact; empty when neither applies.
pub(crate) fn warnings(data: &DatasetResults) -> String {
    let mut out = String::new();
    if let Some(id_order) = ordering_artifact(data) {
        out += &format!(
            "> **Ordering artifact.** The `{ID_ORDER}` baseline (see the table below) \
             reaches test HR@1 {}, above every PO method, the SFT reference and the other \
             trivial baselines: this dataset's histories are sorted by item id, not by time, \
             so the next item is predictable from the ids alone. The models can score by \
             learning that artifact, so the verdicts on this dataset measure how well each \
             method exploits it and say little about the paper's claims.\n\n",
            number(id_order.test_hr_at_1, 4)
        );
    }
    let beaten = beaten(data);
    if beaten.is_empty() {
        return out;
    }
    let cells = data.test_cells(HR_AT_1).len();
    out += &format!(
        "> **Warning: a trivial baseline beats {} of {cells} cells** (mean test HR@1 at the \
         selected epoch below the baseline's test HR@1):\n",
        beaten.len()
    );
    for (method, k, hr, by) in beaten {
        let names: Vec<String> = by
            .iter()
            .map(|t| format!("{} ({})", t.name, number(t.test_hr_at_1, 4)))
            .collect();
        out += &format!(
            "> - `{method}` K = {k} ({}): beaten by {}\n",
            number(hr, 4),
            names.join(", ")
        );
    }
    out + "\n"
}

/// The baselines' table, with the SFT reference beside them; empty without baselines.
pub(crate) fn section(data: &DatasetResults) -> String {
    if data.trivial.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "### Trivial baselines\n\n\
         HR@1 of predictors that learn nothing (from the dataset card), beside the SFT \
         reference (mean over seeds) that PO starts from.\n\n\
         | baseline | what it predicts | valid HR@1 | test HR@1 |\n|:--|:--|--:|--:|\n",
    );
    for t in &data.trivial {
        // A description is free text: keep it on one line and inside its table cell.
        let description = t.description.replace('\n', " ").replace('|', "\\|");
        out += &format!(
            "| {} | {description} | {} | {} |\n",
            t.name,
            number(t.valid_hr_at_1, 4),
            number(t.test_hr_at_1, 4)
        );
    }
    let sft = |s: Option<prefbench_results::stats::Summary>| {
        s.map_or(MISSING.into(), |s| number(s.mean, 4))
    };
    out += &format!(
        "| SFT reference | the policy before PO | {} | {} |\n\n",
        sft(data.sft_summary(|s| s.valid.hr_at_1)),
        sft(data.sft(HR_AT_1))
    );
    out
}
