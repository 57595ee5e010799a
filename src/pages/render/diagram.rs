//! The sequence diagram, rendered on the server: one lane per role, one
//! arrow per step, drawn from the run's record, and the same steps as a
//! list for narrow screens. The page reveals the arrows
//! as playback reaches them, and clicking one selects its step
//! (`pages::runview`).

use crate::run::findings::{Finding, Severity};
use crate::run::{Grant, Role, RunRecord, Step};
use leptos::prelude::*;

// Whole numbers: SVG coordinates need no fractions here, and leaving
// floats out of the page keeps float formatting out of the wasm.
const LANE_W: i32 = 200;
const TOP: i32 = 16;
/// A row holds its label above the arrow and its status below, with room
/// for both at 24 px on the projector.
const ROW_H: i32 = 66;

fn lane_x(lane: usize) -> i32 {
    LANE_W / 2 + lane as i32 * LANE_W
}

fn status_label(step: &Step) -> String {
    step.exchange.as_ref().map(|x| format!("{} {}", x.response.status, x.response.reason)).unwrap_or_default()
}

/// The run's picture: the lane names (HTML, so that they wrap and can stay
/// in view), the sequence diagram as an `<svg>` for wide screens, and the
/// same steps as a list for narrow ones; CSS shows one of the two. Every
/// step is drawn pending; the page reveals steps and marks the current
/// one by their `data-step`.
pub fn html(record: &RunRecord, findings: &[Vec<Finding>]) -> String {
    let roles = record.roles();
    let grant = record.grant;
    let lanes = roles
        .iter()
        .map(|role| {
            let class = if *role == Role::Attacker { "lane attacker" } else { "lane" };
            view! {
                <li class=class data-testid="lane-name">
                    <strong>{role.title_in(grant)}</strong>
                    <span>{role.subtitle_in(grant)}</span>
                </li>
            }
        })
        .collect_view();
    let items =
        record.steps.iter().enumerate().map(|(i, step)| list_item(i, step, grant, mark(&findings[i]))).collect_view();
    view! {
        <div class="diagram-inner" style=format!("--lanes: {}", roles.len())>
            <ul class="lanes" aria-label="The parties of this run" data-testid="lanes">{lanes}</ul>
            <div class="diagram-svg" inner_html=svg(record, findings)></div>
            <div class="step-list" role="group" aria-label="The steps of the run" data-testid="step-list">{items}</div>
        </div>
    }
    .to_html()
}

/// The sequence diagram: a lifeline per lane, a row per step.
fn svg(record: &RunRecord, findings: &[Vec<Finding>]) -> String {
    let rows = record.steps.len().max(1);
    let height = TOP + rows as i32 * ROW_H + 8;
    let lanes = record.roles().len();
    let width = LANE_W * lanes as i32;
    let lifelines = (0..lanes)
        .map(|i| {
            let x = lane_x(i);
            view! { <line x1=x y1="0" x2=x y2=height class="lifeline"/> }
        })
        .collect_view();
    let steps = record
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| step_row(i, step, lanes, record.grant, mark(&findings[i])))
        .collect_view();
    view! {
        <svg class="diagram" viewBox=format!("0 0 {width} {height}") role="group"
            aria-label="Sequence diagram of the run: lanes are the parties, arrows are the recorded messages" data-testid="diagram">
            <defs>
                <marker id="head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head"/>
                </marker>
            </defs>
            {lifelines}
            {steps}
        </svg>
    }
    .to_html()
}

/// A step's mark for its findings: the worst one's class and a short
/// count, like `2 problems`.
struct Mark {
    class: &'static str,
    text: String,
}

fn mark(findings: &[Finding]) -> Option<Mark> {
    let worst = [Severity::Problem, Severity::Advice, Severity::Refused]
        .into_iter()
        .find(|s| findings.iter().any(|f| f.severity == *s))?;
    let n = findings.len();
    let text = match (worst, n) {
        (Severity::Problem, 1) => "⚠ 1 problem".to_string(),
        (Severity::Problem, _) => format!("⚠ {n} findings"),
        (Severity::Advice, 1) => "ⓘ 1 advice".to_string(),
        (Severity::Refused, 1) => "✕ refused".to_string(),
        _ => format!("ⓘ {n} findings"),
    };
    Some(Mark { class: worst.class(), text })
}

/// A diagram row's name: its visible text first (number, label, status),
/// then who sent it to whom.
fn aria(i: usize, step: &Step, grant: Grant) -> String {
    let status = status_label(step);
    let status = if status.is_empty() { String::new() } else { format!(" {status}") };
    format!("{} {}{status}, from {} to {}", i + 1, step.label, step.from.title_in(grant), step.to.title_in(grant))
}

/// Step `i` in the list of narrow screens: who to whom, the label and the
/// status, with the channel's line style at its side.
fn list_item(i: usize, step: &Step, grant: Grant, mark: Option<Mark>) -> AnyView {
    let route = if step.from == step.to {
        step.from.title_in(grant).to_string()
    } else {
        format!("{} → {}", step.from.title_in(grant), step.to.title_in(grant))
    };
    view! {
        <div class=format!("step-item {} pending", step.channel.class()) data-step=i data-testid="step-item"
            role="button" tabindex="-1">
            <span class="item-num">{i + 1}</span>
            <span class="item-route">{route}</span>
            <code class="item-label">{step.label.clone()}</code>
            <span class="item-status">{status_label(step)}</span>
            {mark.map(|m| view! { <span class=format!("item-finding {}", m.class) data-testid="finding-mark">{m.text}</span> })}
        </div>
    }
    .into_any()
}

/// Step `i` as a row of the diagram, across `lanes` lanes: its number, its arrow
/// (or a loop, for a step inside one role), its label and status.
fn step_row(i: usize, step: &Step, lanes: usize, grant: Grant, mark: Option<Mark>) -> AnyView {
    let width = LANE_W * lanes as i32;
    let y = TOP + i as i32 * ROW_H + ROW_H / 2;
    let (from, to) = (step.from.lane(), step.to.lane());
    let class = step.channel.class();
    let status = status_label(step);
    let label = step.label.clone();
    let aria = match &mark {
        Some(m) => format!("{}, {}", aria(i, step, grant), m.text),
        None => aria(i, step, grant),
    };
    // The mark sits at the row's right end, clear of the arrows' labels.
    let finding = mark.map(|m| {
        view! {
            <text x=width - 8 y=y + 22 class=format!("step-finding {}", m.class) text-anchor="end" data-testid="finding-mark">{m.text}</text>
        }
    });
    let shape = if from == to {
        // A local step inside one role: a small loop.
        let x = lane_x(from);
        view! {
            <path d=format!("M {x} {} h 48 v 20 h -44", y - 10) class=format!("arrow {class}") marker-end="url(#head)"/>
            <text x=x + 56 y=y + 4 class="step-label" text-anchor="start" data-testid="step-label">{label}</text>
        }
        .into_any()
    } else {
        let (x1, x2) = (lane_x(from), lane_x(to));
        let dir = if x2 > x1 { 1 } else { -1 };
        let (sx, ex) = (x1 + dir * 6, x2 - dir * 8);
        // Centred over the arrow, except at the diagram's edges, where a
        // long label in large type would run off: there it starts (or
        // ends) at the edge lane.
        let (left, right) = (x1.min(x2), x1.max(x2));
        let (tx, anchor) = if from.min(to) == 0 {
            (left + 12, "start")
        } else if from.max(to) + 1 == lanes {
            (right - 12, "end")
        } else {
            ((x1 + x2) / 2, "middle")
        };
        let grow = if dir > 0 { "grow grow-right" } else { "grow grow-left" };
        view! {
            <g class=grow>
                <line x1=sx y1=y x2=ex y2=y class=format!("arrow {class}") marker-end="url(#head)"/>
            </g>
            <text x=tx y=y - 10 class="step-label" text-anchor=anchor data-testid="step-label">{label}</text>
            <text x=tx y=y + 22 class="step-status" text-anchor=anchor>{status}</text>
        }
        .into_any()
    };
    view! {
        <g
            class=format!("step {class} pending")
            data-testid="step"
            data-step=i
            data-kind=format!("{:?}", step.kind)
            role="button"
            tabindex="-1"
            aria-label=aria
        >
            <rect x="0" y=y - ROW_H / 2 + 2 width=width height=ROW_H - 4 class="row-hit" rx="6"/>
            <text x="10" y=y + 4 class="step-num">{i + 1}</text>
            {shape}
            {finding}
        </g>
    }
    .into_any()
}
