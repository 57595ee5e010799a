//! The sequence diagram, rendered on the server: one lane per role, one
//! arrow per step, drawn from the run's record. The page reveals the arrows
//! as playback reaches them, and clicking one selects its step
//! (`pages::runview`).

use crate::run::{Channel, RunRecord, Step};
use leptos::prelude::*;

// Whole numbers: SVG coordinates need no fractions here, and leaving
// floats out of the page keeps float formatting out of the wasm.
const LANE_W: i32 = 200;
const TOP: i32 = 96;
const ROW_H: i32 = 58;

fn lane_x(lane: usize) -> i32 {
    LANE_W / 2 + lane as i32 * LANE_W
}

fn channel_class(c: Channel) -> &'static str {
    match c {
        Channel::Front => "front",
        Channel::Back => "back",
        Channel::Local => "local",
    }
}

fn status_label(step: &Step) -> String {
    step.exchange.as_ref().map(|x| format!("{} {}", x.response.status, x.response.reason)).unwrap_or_default()
}

/// The run's sequence diagram as an `<svg>`. Every step is drawn pending;
/// the page reveals steps and marks the current one by their `data-step`.
pub fn svg(record: &RunRecord) -> String {
    let rows = record.steps.len().max(1);
    let height = TOP + rows as i32 * ROW_H + 20;
    let roles = record.roles();
    let width = LANE_W * roles.len() as i32;
    let lanes = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let x = lane_x(i);
            view! {
                <g class=if *role == crate::run::Role::Attacker { "lane attacker" } else { "lane" }>
                    <rect x=x - 88 y="8" width="176" height="54" rx="10" class="lane-head"/>
                    <text x=x y="32" class="lane-title" text-anchor="middle">{role.title()}</text>
                    <text x=x y="51" class="lane-sub" text-anchor="middle">{role.subtitle()}</text>
                    <line x1=x y1="62" x2=x y2=height - 8 class="lifeline"/>
                </g>
            }
        })
        .collect_view();
    let steps = record.steps.iter().enumerate().map(|(i, step)| step_row(i, step, width)).collect_view();
    view! {
        <svg class="diagram" viewBox=format!("0 0 {width} {height}") role="group"
            aria-label="Sequence diagram of the run: lanes are the roles, arrows are the recorded messages" data-testid="diagram">
            <defs>
                <marker id="head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head"/>
                </marker>
            </defs>
            {lanes}
            {steps}
        </svg>
    }
    .to_html()
}

/// Step `i` as a row of the diagram, `width` wide: its number, its arrow
/// (or a loop, for a step inside one role), its label and status.
fn step_row(i: usize, step: &Step, width: i32) -> AnyView {
    let y = TOP + i as i32 * ROW_H + 22;
    let (from, to) = (step.from.lane(), step.to.lane());
    let class = channel_class(step.channel);
    let status = status_label(step);
    let label = step.label.clone();
    let aria = format!("Step {}: {} from {} to {}", i + 1, step.label, step.from.title(), step.to.title());
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
        let mid = (x1 + x2) / 2;
        let grow = if dir > 0 { "grow grow-right" } else { "grow grow-left" };
        view! {
            <g class=grow>
                <line x1=sx y1=y x2=ex y2=y class=format!("arrow {class}") marker-end="url(#head)"/>
            </g>
            <text x=mid y=y - 8 class="step-label" text-anchor="middle" data-testid="step-label">{label}</text>
            <text x=mid y=y + 17 class="step-status" text-anchor="middle">{status}</text>
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
            <rect x="0" y=y - 28 width=width height=ROW_H - 4 class="row-hit" rx="6"/>
            <text x="10" y=y + 4 class="step-num">{i + 1}</text>
            {shape}
        </g>
    }
    .into_any()
}
