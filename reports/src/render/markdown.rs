//! `report.md`: the [`Report`] as Markdown, with the prose that explains each part. Plain
//! functions of the model, so the same records always give the same bytes. Every block ends
//! with a blank line; numbers are printed by `format`.
use crate::context::ID_ORDER;
use crate::format::{self, number, signed, MISSING};
use crate::model::{
    Align, Claims, Column, Cost, DatasetSection, Evidence, Figure, MetricTables, Overview, Report,
    Table, Value, VerdictStatistics, Warnings, SELECTED_EPOCH,
};

/// The whole report.
pub(crate) fn report(report: &Report) -> String {
    let mut out = format!("# prefbench report: {}\n\n", report.title);
    if let Some(endpoints) = &report.endpoints {
        out += &super::endpoints::section(endpoints);
    }
    match &report.overview {
        Some(overview) => out += &self::overview(overview),
        None => {
            out += &paragraph(
                "No run records yet: nothing has finished, so there is nothing to report.",
            )
        }
    }
    if let Some(claims) = &report.claims {
        out += &self::claims(claims);
    }
    if !report.regimes.is_empty() {
        out += "## Regimes\n\n";
        out += &paragraph(
            "DynamicPO against its base under each policy: mean test HR@1 difference (variant \
             − base) over the seeds both ran, n seeds; the per-regime sections give the tests.",
        );
        for comparison in &report.regimes {
            out += &format!("### `{}`\n\n", comparison.dataset);
            out += &table(&comparison.table);
        }
    }
    for section in &report.datasets {
        out += &dataset(section);
    }
    if let Some(failed) = &report.failed_runs {
        out += "## Failed runs\n\n";
        out += &table(failed);
    }
    for appendix in &report.appendices {
        out += &format!(
            "## {}\n\n{}\n\n",
            appendix.heading,
            appendix.body.trim_end()
        );
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// A table with its title before and its notes after it, each a paragraph.
pub(crate) fn table(table: &Table) -> String {
    let mut out = table.title.as_deref().map_or(String::new(), paragraph);
    let row = |cells: Vec<String>| {
        let mut line = String::from("|");
        cells
            .iter()
            .for_each(|c| line += &format!(" {} |", escape(c)));
        line + "\n"
    };
    out += &row(table.columns.iter().map(|c| c.name.clone()).collect());
    out += "|";
    for column in &table.columns {
        out += match column.align {
            Align::Left => ":--|",
            Align::Right => "--:|",
        };
    }
    out.push('\n');
    for cells in &table.rows {
        out += &row(cells.iter().map(cell).collect());
    }
    out.push('\n');
    for note in &table.notes {
        out += &paragraph(note);
    }
    out
}

/// A cell's text: emphasis is Markdown's, the number `format`'s.
fn cell(value: &Value) -> String {
    match value {
        Value::Strong(text) => format!("**{text}**"),
        other => format::value(other),
    }
}

/// Free text kept on one line and inside its table cell.
fn escape(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

pub(crate) fn paragraph(text: &str) -> String {
    format!("{text}\n\n")
}

/// A block quote of `lines`; an empty line separates paragraphs.
fn quote(lines: &[String]) -> String {
    let quoted: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect();
    quoted.join("\n") + "\n\n"
}

/// `a, b, c`.
fn list(items: &[String]) -> String {
    items.join(", ")
}

fn overview(o: &Overview) -> String {
    let seeds: Vec<String> = o.seeds.iter().map(u64::to_string).collect();
    let mut out = paragraph(&format!(
        "{} PO runs on {} dataset(s), seeds {}. Cells show the mean ± sample standard \
         deviation over seeds, the 95% t confidence interval of the mean in brackets (from two \
         seeds on, clamped to the range the quantity can take), and n the number of seeds; \
         {MISSING} marks a cell with no finished run, n/a a value that is not a finite number. \
         Cells pool only runs whose whole spec agrees except the seed. Unless a table says \
         otherwise, every metric is read at {SELECTED_EPOCH}; the last-epoch values are shown \
         beside them.",
        o.runs,
        o.datasets,
        list(&seeds),
    ));
    out += &paragraph(&match o.policies.as_slice() {
        [one] => format!("Policy: {one}."),
        many => format!(
            "Policies: {}; each dataset's results and each claim's verdict are given per \
             policy, never pooled.",
            many.join("; ")
        ),
    });
    let mut lines = vec![
        "**Scale.** The policy is a small item model (a causal transformer or GRU over item IDs; see the resolved config), \
         the small-scale counterpart of the paper's 7B LLMs; it is not a 7B LLM. Compare \
         directions and shapes with the paper, not absolute numbers."
            .to_string(),
    ];
    if !o.synthetic.is_empty() {
        let names: Vec<String> = o.synthetic.iter().map(|n| format!("`{n}`")).collect();
        let verb = if names.len() == 1 { "is" } else { "are" };
        lines.push(String::new());
        lines.push(format!(
            "**Synthetic data.** {} {verb} synthetic, generated by prefbench, not real user \
             behaviour: these numbers check the pipeline and say nothing about the paper's \
             claims.",
            list(&names)
        ));
    }
    out + &quote(&lines)
}

fn claims(claims: &Claims) -> String {
    let mut out = format!(
        "## Claims of the paper\n\n\
         One row per claim of docs/claims.md. Our policy is a small item model trained from \
         scratch, not a 7B LLM fine-tuned with LoRA, so absolute numbers differ from the \
         paper's; the verdicts compare methods under the same conditions. HR@1 is test HR@1 \
         at {SELECTED_EPOCH} throughout. Verdicts on synthetic data are labelled *pipeline \
         check*: they show that the machinery works and say nothing about the paper's \
         claims.\n\n",
    );
    let mut columns = vec![Column::left("claim")];
    if claims.by_policy {
        columns.push(Column::left("policy"));
    }
    columns.push(Column::left("verdict (all datasets)"));
    columns.extend(
        claims
            .datasets
            .iter()
            .map(|d| Column::left(format!("`{d}`"))),
    );
    columns.push(Column::left("paper"));
    let rows = claims
        .verdicts
        .iter()
        .map(|v| {
            let verdict = if v.pipeline_check {
                format!("**pipeline check: {}**", v.verdict)
            } else {
                format!("**{}**", v.verdict)
            };
            let mut row = vec![Value::Text(format!("**{}** {}", v.id, v.claim))];
            if claims.by_policy {
                row.push(Value::Text(v.policy.clone()));
            }
            match &v.evidence {
                Evidence::Overall(text) => {
                    row.push(Value::Text(format!("{verdict}<br>{text}")));
                    row.extend(claims.datasets.iter().map(|_| Value::Missing));
                }
                Evidence::PerDataset(findings) => {
                    row.push(Value::Text(verdict));
                    row.extend(claims.datasets.iter().map(|d| {
                        findings
                            .iter()
                            .find(|f| &f.dataset == d)
                            .map_or(Value::Missing, |f| {
                                Value::Text(format!(
                                    "*{}*: {}",
                                    f.finding.verdict, f.finding.evidence
                                ))
                            })
                    }));
                }
            }
            row.push(Value::Text(v.paper.to_string()));
            row
        })
        .collect();
    out += &table(&Table::new(None, columns, rows));
    if !claims.ordering_artifacts.is_empty() {
        let labels: Vec<String> = claims
            .ordering_artifacts
            .iter()
            .map(|l| format!("`{l}`"))
            .collect();
        out += &quote(&[format!(
            "**Ordering artifact in {}.** The id-order trivial baseline beats every method \
             there (histories sorted by item id, not by time): the verdicts from those \
             datasets measure how well each method exploits that ordering, not the paper's \
             claims. See each dataset's section.",
            list(&labels)
        )]);
    }
    out += "### Verdict rules\n\n";
    out += &statistics(&claims.statistics);
    for rule in &claims.rules {
        out += &format!("- **{}**: {}\n", rule.id, rule.rule);
    }
    out + "\n"
}

/// The paragraph before the rules: the level, the Holm family, the seed minimum, the
/// intervals and how datasets combine, with this report's numbers.
fn statistics(s: &VerdictStatistics) -> String {
    let power = format!("{:.0}%", 100.0 * s.power);
    paragraph(&format!(
        "Tests are two-sided, over seeds, at the {:.0}% level; comparisons of two methods are \
         paired by seed (both runs of a seed share the SFT reference). **Multiple \
         comparisons:** every p-value that decides a verdict (each paired comparison with \
         enough seeds and each C2 slope, per policy, dataset and pair; a comparison that \
         decides two claims, as C3's does for C5, counts once) is one of a Holm–Bonferroni \
         family of {} in this report, and verdicts read the Holm-adjusted p (\"Holm p\", \
         shown beside the raw p), which must be below {}; C6 is decided by a confidence \
         interval, not a p-value, and is not in the family. **Seeds:** a paired comparison needs \
         at least {} paired seeds to be reproduced or not reproduced; with fewer it is \
         inconclusive, stays out of the family and names the seeds that would detect its Δ \
         with {power} power (exact noncentral-t power of the two-sided paired t-test; \
         \"> {}\" when even {} would not). **Effect sizes:** Δ, the mean of the per-seed \
         differences, is shown with its 95% t interval and a 95% {} bootstrap interval over \
         the seeds' differences ({} resamples, ChaCha8 generator seed {}, so the report is \
         reproducible), and with the minimum detectable effect (MDE) at {power} power for the \
         seeds at hand; the t-test decides, the bootstrap is shown. **Datasets:** each dataset \
         has its own column; the combined verdict is reproduced when every dataset that could \
         test the claim reproduces it, not reproduced when one contradicts it, and \
         inconclusive otherwise.",
        100.0 * s.alpha,
        s.family_size,
        s.alpha,
        s.min_paired_seeds,
        s.max_seeds,
        s.max_seeds,
        s.bootstrap,
        thousands(s.bootstrap_resamples),
        s.bootstrap_seed,
    ))
}

/// A count with thousands separated by commas (10,000), as prose writes it.
fn thousands(n: usize) -> String {
    let digits = n.to_string().into_bytes();
    let groups: Vec<&str> = digits
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect();
    groups.join(",")
}

fn dataset(section: &DatasetSection) -> String {
    let label = if section.synthetic {
        " (synthetic: a pipeline check, not evidence)"
    } else {
        ""
    };
    let mut out = format!(
        "## Dataset `{}`{}{label}\n\n",
        section.name, section.qualifier
    );
    out += &warnings(&section.warnings);
    for metric in &section.metrics {
        out += &self::metric(metric);
    }
    out += "### SFT → PO lift\n\n";
    out += &table(&section.lift);
    if let Some(trivial) = &section.trivial {
        out += "### Trivial baselines\n\n";
        out += &table(trivial);
    }
    if let Some(pairs) = &section.pairs {
        out += "### DynamicPO against its base\n\n";
        if let Some(f) = &section.pairs_figure {
            out += &self::figure(f);
            out += &paragraph(&format!(
                "*{}: a hollow dot per seed, the mean difference with its 95 % t interval, \
                 the solid line at zero (no difference) and, where the paper gave a size, its \
                 relative lift × the base's mean as a dashed line.*",
                f.caption
            ));
        }
        out += &table(pairs);
    }
    out += "### Figures\n\n";
    for figure in &section.figures {
        out += &self::figure(figure);
    }
    out + &cost(&section.cost)
}

fn warnings(w: &Warnings) -> String {
    let mut out = String::new();
    if let Some(lift) = &w.lift {
        out += &quote(&[format!(
            "**Warning: PO lowers the SFT reference in {} of {} runs.** Test HR@1 after \
             preference optimisation (at the selected epoch) is below the run's own SFT \
             reference (mean change {} over all runs). Here PO hurts the policy it starts \
             from, so the comparisons between PO methods below rank how much accuracy each \
             one loses, not how much it adds; see \"SFT → PO lift\".",
            lift.lowered,
            lift.runs,
            signed(lift.mean_change, 4),
        )]);
    }
    if let Some(hr) = w.ordering_artifact {
        out += &quote(&[format!(
            "**Ordering artifact.** The `{ID_ORDER}` baseline (see the table below) reaches \
             test HR@1 {}, above every PO method, the SFT reference and the other trivial \
             baselines: this dataset's histories are sorted by item id, not by time, so the \
             next item is predictable from the ids alone. The models can score by learning \
             that artifact, so the verdicts on this dataset measure how well each method \
             exploits it and say little about the paper's claims.",
            number(hr, 4)
        )]);
    }
    if let Some(beaten) = &w.beaten {
        let mut lines = vec![format!(
            "**Warning: a trivial baseline beats {} of {} cells** (mean test HR@1 at the \
             selected epoch below the baseline's test HR@1):",
            beaten.cells.len(),
            beaten.of
        )];
        for c in &beaten.cells {
            let names: Vec<String> =
                c.by.iter()
                    .map(|(name, hr)| format!("{name} ({})", number(*hr, 4)))
                    .collect();
            lines.push(format!(
                "- `{}` K = {} ({}): beaten by {}",
                c.method,
                c.k,
                number(c.hr_at_1, 4),
                list(&names)
            ));
        }
        out += &quote(&lines);
    }
    out
}

fn metric(m: &MetricTables) -> String {
    let mut out = format!("### Test {}\n\n", m.metric);
    out += &table(&m.table);
    if let Some(last) = &m.last_epoch {
        out += &table(last);
    }
    out
}

fn figure(f: &Figure) -> String {
    paragraph(&format!("![{}]({})", f.caption, f.svg))
        + &paragraph(&format!("PNG: [{}]({})", f.png, f.png))
}

fn cost(cost: &Cost) -> String {
    let mut out = String::from("### Cost\n\n");
    out += &paragraph(&format!(
        "Shared by all methods of a seed: SFT {} and reference log-likelihood cache {} (mean \
         over the {} seed(s) that trained them).",
        format::seconds(cost.sft_s),
        format::seconds(cost.reference_cache_s),
        cost.seeds
    ));
    out += &table(&cost.per_method);
    out += &table(&cost.po_wall_clock);
    if let Some(overhead) = &cost.overhead {
        out += &table(overhead);
    }
    if let Some(stages) = &cost.stages {
        out += &table(stages);
    }
    out
}
