//! `/share/:token`: what a client sees through a share link, without signing in.

use crate::api::updates::shared_project;
use crate::components::errors::error_panel;
use crate::components::project_panels::Timeline;
use crate::domain::money::{format_money_whole, Currency};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

/// A project's dates, progress and updates, read-only.
#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let shared = Resource::new(token, shared_project);
    view! {
        <Meta name="robots" content="noindex, nofollow"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shared.await {
                    Ok(p) => {
                        let currency = Currency::new(&p.currency);
                        let budget = p.budget.map(|(budget, spent, remaining)| view! {
                            <div><dt>"Budget"</dt><dd>{format_money_whole(budget, &currency)}</dd></div>
                            <div><dt>"Spent"</dt><dd>{format_money_whole(spent, &currency)}</dd></div>
                            <div><dt>"Remaining"</dt><dd>{format_money_whole(remaining, &currency)}</dd></div>
                        });
                        let progress = p.progress_bp / 100;
                        view! {
                            <Title text=p.name.clone()/>
                            <div class="shared" data-testid="shared-project">
                                <div class="page-header">
                                    <div>
                                        <p class="eyebrow">{format!("{} for {}", p.agency, p.client)}</p>
                                        <h1>{p.name.clone()}</h1>
                                        <p class="muted">
                                            <span class=format!("status status-{}", p.status)>{p.status.replace('_', " ")}</span>
                                            {format!(" {} – {}", p.starts_on, p.ends_on)}
                                        </p>
                                    </div>
                                    <dl class="board-stats">
                                        <div><dt>"Planned work done"</dt><dd>{format!("{progress} %")}</dd></div>
                                        {budget}
                                    </dl>
                                </div>
                                <progress class="progress" max="100" value=progress.clamp(0, 100) aria-label="Planned work done"></progress>
                                <section class="panel">
                                    <h2>"Status updates"</h2>
                                    <Timeline updates=p.updates offsets=p.offsets/>
                                </section>
                            </div>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <Title text="Link not available"/>
                        {error_panel("This link is not available", &err)}
                        <p class="muted">"It may have been revoked. Ask the agency for a new one."</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
