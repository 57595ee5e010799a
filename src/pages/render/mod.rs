//! On the server: a run's record rendered to the HTML its pages show (the
//! diagram and each step's inspector), so the browser receives markup
//! rather than the record and the code to draw it.

mod diagram;
mod inspector;

use crate::run::scenario::verdict;
use crate::run::view::RunView;
use crate::run::RunRecord;

/// The run as a page shows it; `inspect` adds each step's inspector,
/// with secrets hidden when `mask`.
pub fn run_view(record: &RunRecord, mask: bool, inspect: bool) -> RunView {
    // What a learner's own program did against the RFCs; the lab's own
    // apps follow them, and their runs show the grants as they are.
    let findings = crate::run::findings::of_run(record);
    RunView {
        id: record.id.clone(),
        grant: record.grant,
        mode: record.mode,
        status: record.status.clone(),
        start_url: record.start_url.clone(),
        labels: record.steps.iter().map(|s| s.label.clone()).collect(),
        diagram: diagram::html(record, &findings),
        inspector: if inspect {
            (0..record.steps.len()).map(|i| inspector::html(record, i, mask, &findings[i])).collect()
        } else {
            vec![]
        },
        masked: mask,
        verdict: verdict(record).map(|v| (v.step, v.held, v.answer)),
        vulnerable: record.vulnerable,
    }
}

/// The comparison's table for runs side by side, computed from their
/// records (`run::compare`).
pub fn compare_table(records: &[RunRecord]) -> String {
    use leptos::prelude::*;
    let rows = crate::run::compare::compare(records);
    let heads: Vec<&str> = records.iter().map(|r| r.grant.title()).collect();
    view! {
        <table class="compare-table" data-testid="compare-table">
            <thead><tr><th scope="col">""</th>{heads.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr><th scope="row">{row.label}</th>{row.cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .to_html()
}
