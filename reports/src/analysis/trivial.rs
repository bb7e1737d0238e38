//! Trivial baselines: what HR@1 needs no learning at all (a random pick, the most popular
//! candidate, the item that most often follows the last one, the candidate next in id
//! order). A PO method beaten by one of them has learnt less than a count; and when the
//! id-order baseline beats everything, the data carries an ordering artifact (histories
//! sorted by item id, not by time) that the models can exploit instead of preferences.
use super::dataset::DatasetResults;
use super::metric::HR_AT_1;
use crate::context::{TrivialBaseline, ID_ORDER};
use crate::model::{Beaten, BeatenCell, Column, Table, Value};
use prefbench_results::stats::Summary;

/// The cells a trivial baseline beats (mean test HR@1 below the baseline's), each with the
/// baselines that beat it, strongest first; `None` when no cell is beaten.
pub(crate) fn beaten(data: &DatasetResults) -> Option<Beaten> {
    let cells = data.test_cells(HR_AT_1);
    let beaten: Vec<BeatenCell> = cells
        .iter()
        .filter(|(_, _, s)| s.mean.is_finite())
        .filter_map(|(method, k, s)| {
            let mut by: Vec<&TrivialBaseline> = data
                .trivial
                .iter()
                .filter(|t| t.test_hr_at_1 > s.mean)
                .collect();
            by.sort_by(|a, b| b.test_hr_at_1.total_cmp(&a.test_hr_at_1));
            (!by.is_empty()).then(|| BeatenCell {
                method,
                k,
                hr_at_1: s.mean,
                by: by
                    .iter()
                    .map(|t| (t.name.clone(), t.test_hr_at_1))
                    .collect(),
            })
        })
        .collect();
    (!beaten.is_empty()).then(|| Beaten {
        of: cells.len(),
        cells: beaten,
    })
}

/// The `id-order` baseline when it beats every method, the SFT reference and the other
/// baselines.
pub(crate) fn ordering_artifact<'d>(data: &DatasetResults<'d>) -> Option<&'d TrivialBaseline> {
    let id_order = data
        .trivial
        .iter()
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

/// The baselines' table, with the SFT reference beside them; `None` without baselines.
pub(crate) fn table(data: &DatasetResults) -> Option<Table> {
    if data.trivial.is_empty() {
        return None;
    }
    let hr = |value| Value::Number { value, decimals: 4 };
    let mut rows: Vec<Vec<Value>> = data
        .trivial
        .iter()
        .map(|t| {
            vec![
                Value::Text(t.name.clone()),
                Value::Text(t.description.clone()),
                hr(t.valid_hr_at_1),
                hr(t.test_hr_at_1),
            ]
        })
        .collect();
    let sft = |s: Option<Summary>| s.map_or(Value::Missing, |s| hr(s.mean));
    rows.push(vec![
        Value::Text("SFT reference".into()),
        Value::Text("the policy before PO".into()),
        sft(data.sft_summary(|s| s.valid.hr_at_1)),
        sft(data.sft(HR_AT_1)),
    ]);
    Some(Table::new(
        Some(
            "HR@1 of predictors that learn nothing (from the dataset card), beside the SFT \
             reference (mean over seeds) that PO starts from."
                .into(),
        ),
        vec![
            Column::left("baseline"),
            Column::left("what it predicts"),
            Column::right("valid HR@1"),
            Column::right("test HR@1"),
        ],
        rows,
    ))
}
