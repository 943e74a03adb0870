//! `/`: the home dashboard — weighted forecast by month (bars), win rate over 90 days,
//! utilisation for the next 8 weeks (lines), projects at risk, rotting deals. Live: any
//! change in the workspace reloads it (debounced).

use crate::api::board::days_text;
use crate::api::dashboard::{dashboard, DashboardData};
use crate::api::live::LiveEvent;
use crate::components::errors::error_panel;
use crate::domain::close::percent;
use crate::domain::money::{format_money_compact, format_money_whole, Currency};
use crate::live_client::{Debounce, LiveStatus};
use leptos::prelude::*;
use leptos_meta::Title;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_label(month: &str) -> String {
    let m = month
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(1);
    format!(
        "{} {}",
        MONTHS[(m.clamp(1, 12)) - 1],
        month.get(..4).unwrap_or_default()
    )
}

/// The dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let version = RwSignal::new(0_u64);
    let seq = StoredValue::new(i64::MAX);
    let status = RwSignal::new(LiveStatus::Connecting);
    let debounce = Debounce::new();
    crate::live_client::connect(
        move || seq.get_value(),
        move |event| {
            if let LiveEvent::Deal { seq: s, .. }
            | LiveEvent::Projects { seq: s }
            | LiveEvent::Capacity { seq: s } = &event
            {
                seq.set_value(*s);
            }
            if !matches!(event, LiveEvent::Presence { .. }) {
                debounce.run(300, move || version.update(|v| *v += 1));
            }
        },
        status,
    );
    let data = Resource::new(move || version.get(), |_| dashboard());
    view! {
        <Title text="Dashboard"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Home"</p>
                <h1>"Dashboard"</h1>
            </div>
            <div class="board-presence" aria-live="polite">
                <crate::live_client::LiveBadge status/>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => {
                        if seq.get_value() == i64::MAX {
                            seq.set_value(d.seq);
                        }
                        view! { <Board d/> }.into_any()
                    }
                    Err(err) => error_panel("The dashboard could not be loaded", &err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Board(d: DashboardData) -> impl IntoView {
    let currency = Currency::new(&d.currency);
    let weighted_total: Option<i64> = d
        .values
        .then(|| d.forecast.iter().filter_map(|m| m.weighted_minor).sum());
    let open_deals: i64 = d.forecast.iter().map(|m| m.deals).sum();
    let avg_util = if d.utilisation.is_empty() {
        0
    } else {
        d.utilisation.iter().map(|u| u.confirmed_bp).sum::<i64>() / d.utilisation.len() as i64
    };
    let tiles = view! {
        <div class="kpis">
            <a class="kpi" href="/pipeline" data-testid="kpi-forecast">
                <span class="kpi-label">"Weighted pipeline, 6 months"</span>
                <span class="kpi-value">{match weighted_total {
                    Some(v) => format_money_whole(v, &currency),
                    None => format!("{open_deals} deals"),
                }}</span>
            </a>
            <a class="kpi" href="/pipeline" data-testid="kpi-win-rate">
                <span class="kpi-label">"Win rate, last 90 days"</span>
                <span class="kpi-value">{d.win_rate_bp.map(percent).unwrap_or_else(|| "—".into())}</span>
                <span class="kpi-note">{format!("{} won · {} lost{}", d.won, d.lost,
                    d.won_minor.map(|v| format!(" · {} won", format_money_whole(v, &currency))).unwrap_or_default())}</span>
            </a>
            <a class="kpi" href="/capacity" data-testid="kpi-utilisation">
                <span class="kpi-label">"Utilisation, next 8 weeks"</span>
                <span class="kpi-value">{percent(avg_util)}</span>
            </a>
            <a class="kpi" href="/projects" data-testid="kpi-risk">
                <span class="kpi-label">"Projects at risk"</span>
                <span class=if d.at_risk.is_empty() { "kpi-value" } else { "kpi-value bad" }>{d.at_risk.len()}</span>
            </a>
        </div>
    };
    let risky = d
        .at_risk
        .iter()
        .map(|p| {
            view! {
                <li>
                    <a href=format!("/projects/{}", p.id) class="strong">{p.name.clone()}</a>
                    <span class="muted">{format!(" · {}", p.client)}</span>
                    <p class="small muted">{p.risks.join("; ")}</p>
                </li>
            }
        })
        .collect_view();
    let rotting = d
        .rotting
        .iter()
        .map(|r| {
            let value = r
                .value_minor
                .map(|v| format!(" · {}", format_money_whole(v, &currency)))
                .unwrap_or_default();
            view! {
                <li>
                    <a href=format!("/pipeline?deal={}", r.id) class="strong">{r.title.clone()}</a>
                    <span class="muted">{format!(" · {}{value}", r.client)}</span>
                    <p class="small"><span class="flag-rot">{format!("No progress for {}", days_text(r.days))}</span>
                        <span class="muted">{format!(" · in {} {} (limit {})", r.stage, days_text(r.days_in_stage), r.limit)}</span></p>
                </li>
            }
        })
        .collect_view();
    let more_rotting = (d.rotting_total > d.rotting.len() as i64).then(|| {
        view! { <p class="muted small"><a href="/pipeline">{format!("{} more on the board", d.rotting_total - d.rotting.len() as i64)}</a></p> }
    });
    view! {
        {tiles}
        <div class="two-col">
            <section class="panel">
                <h2>{if d.values { "Weighted forecast by month" } else { "Open deals by expected close month" }}</h2>
                <ForecastChart d=d.clone() currency=currency.clone()/>
            </section>
            <section class="panel">
                <h2>"Utilisation, next 8 weeks"</h2>
                <UtilisationChart d=d.clone()/>
            </section>
        </div>
        <div class="two-col">
            <section class="panel" data-testid="risk-list">
                <h2>"Projects at risk"</h2>
                <ul class="dash-list">{risky}</ul>
                {d.at_risk.is_empty().then(|| view! { <p class="muted">"No running project is at risk."</p> })}
            </section>
            <section class="panel" data-testid="rotting-list">
                <h2>"Rotting deals"</h2>
                <ul class="dash-list">{rotting}</ul>
                {more_rotting}
                {d.rotting.is_empty().then(|| view! { <p class="muted">"No deal has outstayed its stage."</p> })}
            </section>
        </div>
    }
}

#[component]
fn ForecastChart(d: DashboardData, currency: Currency) -> impl IntoView {
    let (w, h, pad_l, pad_b, pad_t) = (560.0_f64, 220.0_f64, 64.0_f64, 28.0_f64, 16.0_f64);
    let amount = |m: &crate::api::dashboard::ForecastBar| -> i64 {
        if d.values {
            m.weighted_minor.unwrap_or(0)
        } else {
            m.deals
        }
    };
    let top = d.forecast.iter().map(amount).max().unwrap_or(0).max(1) as f64;
    let n = d.forecast.len().max(1) as f64;
    let slot = (w - pad_l - 8.0) / n;
    let y = |v: i64| h - pad_b - (h - pad_b - pad_t) * (v as f64 / top);
    let label = |v: i64| {
        if d.values {
            format_money_compact(v, &currency)
        } else {
            v.to_string()
        }
    };
    let bars = d
        .forecast
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let v = amount(m);
            let x = pad_l + slot * k as f64 + slot * 0.18;
            let bw = slot * 0.64;
            let title = match m.weighted_minor {
                Some(wv) => format!(
                    "{}: {} weighted of {} in {} deals",
                    month_label(&m.month),
                    format_money_whole(wv, &currency),
                    format_money_whole(m.total_minor.unwrap_or(0), &currency),
                    m.deals
                ),
                None => format!("{}: {} deals", month_label(&m.month), m.deals),
            };
            view! {
                <a href="/pipeline">
                    <rect x=format!("{x:.1}") y=format!("{:.1}", y(v)) width=format!("{bw:.1}")
                        height=format!("{:.1}", (h - pad_b - y(v)).max(0.0)) class="bar" data-testid="forecast-bar">
                        <title>{title}</title>
                    </rect>
                </a>
                <text x=format!("{:.1}", x + bw / 2.0) y=format!("{:.1}", y(v) - 4.0) text-anchor="middle" class="bar-value">{label(v)}</text>
                <text x=format!("{:.1}", x + bw / 2.0) y=format!("{:.1}", h - 8.0) text-anchor="middle" class="axis">{month_label(&m.month)}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="group" data-testid="forecast-chart"
            aria-label="Weighted pipeline forecast by expected close month">
            <line x1=pad_l y1=h - pad_b x2=w - 8.0 y2=h - pad_b class="axis-line"/>
            <line x1=pad_l y1=pad_t x2=w - 8.0 y2=pad_t class="grid-line"/>
            <text x=pad_l - 6.0 y=pad_t + 4.0 text-anchor="end" class="axis">{label(top as i64)}</text>
            <text x=pad_l - 6.0 y=h - pad_b text-anchor="end" class="axis">"0"</text>
            {bars}
        </svg>
        <p class="legend muted small">{if d.values { "Value × win probability of open deals, by expected close; overdue or undated deals count this month." } else { "Open deals by expected close; overdue or undated deals count this month." }}</p>
    }
}

#[component]
fn UtilisationChart(d: DashboardData) -> impl IntoView {
    let (w, h, pad_l, pad_b, pad_t) = (560.0_f64, 220.0_f64, 44.0_f64, 28.0_f64, 16.0_f64);
    let top = d
        .utilisation
        .iter()
        .map(|u| u.with_pipeline_bp.max(u.confirmed_bp))
        .max()
        .unwrap_or(0)
        .max(10_000) as f64;
    let n = d.utilisation.len().max(1) as f64;
    let x = |k: usize| pad_l + (w - pad_l - 16.0) * (k as f64 + 0.5) / n;
    let y = |bp: i64| h - pad_b - (h - pad_b - pad_t) * (bp as f64 / top);
    let points = |pick: fn(&crate::api::dashboard::UtilisationPoint) -> i64| {
        d.utilisation
            .iter()
            .enumerate()
            .map(|(k, u)| format!("{:.1},{:.1}", x(k), y(pick(u))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let confirmed = points(|u| u.confirmed_bp);
    let pipeline = points(|u| u.with_pipeline_bp);
    let dots = d
        .utilisation
        .iter()
        .enumerate()
        .map(|(k, u)| {
            view! {
                <a href=format!("/capacity?from={}", u.week)>
                    <circle cx=format!("{:.1}", x(k)) cy=format!("{:.1}", y(u.confirmed_bp)) r="4" class="dot confirmed" data-testid="utilisation-point">
                        <title>{format!("Week of {}: {} booked, {} with weighted pipeline", u.week, percent(u.confirmed_bp), percent(u.with_pipeline_bp))}</title>
                    </circle>
                </a>
                <text x=format!("{:.1}", x(k)) y=format!("{:.1}", h - 8.0) text-anchor="middle" class="axis">{u.week.get(5..).unwrap_or_default().to_string()}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="group" data-testid="utilisation-chart"
            aria-label="Booked hours as a share of available hours, per week">
            <line x1=pad_l y1=h - pad_b x2=w - 16.0 y2=h - pad_b class="axis-line"/>
            <line x1=pad_l y1=y(10_000) x2=w - 16.0 y2=y(10_000) class="full-line"/>
            <text x=pad_l - 6.0 y=y(10_000) + 4.0 text-anchor="end" class="axis">"100 %"</text>
            <text x=pad_l - 6.0 y=y(5_000) + 4.0 text-anchor="end" class="axis">"50 %"</text>
            <text x=pad_l - 6.0 y=h - pad_b text-anchor="end" class="axis">"0"</text>
            <polyline points=pipeline class="pipeline-line"/>
            <polyline points=confirmed class="confirmed-line"/>
            {dots}
        </svg>
        <p class="legend"><span class="swatch confirmed-swatch"></span>"booked (confirmed)"
            <span class="swatch pipeline-swatch"></span>"with pipeline, weighted"</p>
    }
}
