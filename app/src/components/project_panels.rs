//! The delivery panels of a project page: change requests (propose, review, decide),
//! client updates (post, timeline) and share links (make, revoke).

use crate::api::changes::{
    review_change, ChangeReviewView, ChangeRow, DecideChange, ProposeChange,
};
use crate::api::updates::{
    CreateShareLink, PostUpdate, RevokeShareLink, ShareLinkRow, StatusUpdate,
};
use crate::components::errors::error_text;
use crate::domain::calendar::UtcOffsets;
use crate::domain::capacity::CapacityVerdict;
use crate::domain::close::percent;
use crate::domain::margin::MarginVerdict;
use crate::domain::money::{format_money_whole, Currency};
use crate::domain::validate::hours_shown;
use leptos::prelude::*;

/// The actions of a project page, kept by the page so a live reload keeps their results.
#[derive(Clone, Copy)]
pub struct DeliveryActions {
    /// Propose a change.
    pub propose: ServerAction<ProposeChange>,
    /// Approve or reject.
    pub decide: ServerAction<DecideChange>,
    /// Post a client update.
    pub post: ServerAction<PostUpdate>,
    /// Make a share link.
    pub share: ServerAction<CreateShareLink>,
    /// Revoke a share link.
    pub revoke: ServerAction<RevokeShareLink>,
    /// The change request under review.
    pub reviewing: RwSignal<Option<i64>>,
}

impl DeliveryActions {
    /// New actions.
    pub fn new() -> Self {
        Self {
            propose: ServerAction::new(),
            decide: ServerAction::new(),
            post: ServerAction::new(),
            share: ServerAction::new(),
            revoke: ServerAction::new(),
            reviewing: RwSignal::new(None),
        }
    }

    /// Changes whenever one of them has completed (for the page to reload on).
    pub fn version(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.propose.version().get(),
            self.decide.version().get(),
            self.post.version().get(),
            self.share.version().get(),
            self.revoke.version().get(),
        )
    }
}

impl Default for DeliveryActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `clear` when `version` moves and the latest result `succeeded` — not when the
/// panel is first drawn (a live reload redraws it; what is being typed stays).
fn clear_after_success(
    version: RwSignal<usize>,
    succeeded: impl Fn() -> bool + 'static,
    clear: impl Fn() + 'static,
) {
    Effect::new(move |seen: Option<usize>| {
        let now = version.get();
        if seen.is_some_and(|v| v != now) && succeeded() {
            clear();
        }
        now
    });
}

/// Instant `ms` as the workspace's local date and time (the server sends its offsets).
fn when(ms: i64, offsets: &UtcOffsets) -> String {
    offsets.date_time(ms)
}

fn capacity_badge(v: CapacityVerdict) -> impl IntoView {
    let (class, text) = match v {
        CapacityVerdict::Fits => ("verdict verdict-good", "Fits"),
        CapacityVerdict::Tight => ("verdict verdict-warn", "Tight"),
        CapacityVerdict::Short => ("verdict verdict-bad", "Short"),
    };
    view! { <span class=class data-testid="change-capacity">{text}</span> }
}

fn margin_badge(v: MarginVerdict) -> impl IntoView {
    let (class, text) = match v {
        MarginVerdict::Pass => ("verdict verdict-good", "Pass"),
        MarginVerdict::Warn => ("verdict verdict-warn", "Warn"),
        MarginVerdict::Block => ("verdict verdict-bad", "Block"),
    };
    view! { <span class=class>{text}</span> }
}

/// Change requests: the form, the history, the review of the selected one.
#[component]
pub fn ChangesPanel(
    project_id: i64,
    changes: Vec<ChangeRow>,
    /// The workspace's offsets from UTC, to show when things happened.
    offsets: UtcOffsets,
    skills: Vec<(i64, String)>,
    currency: Currency,
    can_propose: bool,
    actions: DeliveryActions,
) -> impl IntoView {
    let DeliveryActions {
        propose, reviewing, ..
    } = actions;
    let approved_extra: i64 = changes
        .iter()
        .filter(|c| c.status == "approved")
        .filter_map(|c| c.extra_value_minor)
        .sum();
    let approved = changes.iter().filter(|c| c.status == "approved").count();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let details_ref = NodeRef::<leptos::html::Details>::new();
    clear_after_success(
        propose.version(),
        move || matches!(propose.value().get_untracked(), Some(Ok(_))),
        move || {
            if let Some(form) = form_ref.get_untracked() {
                form.reset();
            }
            if let Some(details) = details_ref.get_untracked() {
                let _ = details.remove_attribute("open");
            }
        },
    );
    let form = can_propose.then(|| {
        let inputs = skills
            .iter()
            .map(|(id, name)| {
                view! {
                    <label class="skill-hours"><span>{name.clone()}</span>
                        <input type="text" inputmode="decimal" name=format!("hours[{id}]") placeholder="0" size="5"/>
                    </label>
                }
            })
            .collect_view();
        view! {
            <details class="propose" data-testid="propose-change" node_ref=details_ref>
                <summary class="button small">"Propose a change…"</summary>
                <ActionForm action=propose node_ref=form_ref attr:class="stack-form">
                    <input type="hidden" name="project_id" value=project_id/>
                    <label><span>"What is asked for"</span>
                        <textarea name="description" rows="2" required maxlength="4000"></textarea>
                    </label>
                    <label class="narrow"><span>"Extra value"</span>
                        <input type="text" inputmode="decimal" name="extra_value" placeholder="0"/>
                    </label>
                    <fieldset class="hours-grid"><legend>"Extra hours by skill"</legend>{inputs}</fieldset>
                    <button type="submit" class="button primary small">"Propose"</button>
                    <p class="form-error" role="alert">{move || propose.value().get().and_then(|r| r.err()).map(|e| error_text(&e))}</p>
                </ActionForm>
            </details>
        }
    });
    let rows = changes
        .iter()
        .map(|c| {
            let id = c.id;
            let hours = c
                .hours
                .iter()
                .map(|(s, m)| format!("{s} {} h", hours_shown(*m)))
                .collect::<Vec<_>>()
                .join(", ");
            let value = c
                .extra_value_minor
                .map(|v| format!(" · +{}", format_money_whole(v, &currency)))
                .unwrap_or_default();
            let decided = c.decided_by.clone().map(|who| {
                let at = c.decided_at.map(|at| when(at, &offsets)).unwrap_or_default();
                view! { <span class="muted small">{format!(" · {} by {who}, {at}", c.status)}</span> }
            });
            let verdicts = c.verdicts.map(|(cap, bp)| {
                let margin = bp.map(|bp| format!(" margin {}", percent(bp))).unwrap_or_default();
                view! { <span class="muted small">" · at approval: " {capacity_badge(cap)} {margin}</span> }
            });
            let why = c
                .decision_reason
                .clone()
                .map(|r| view! { <p class="muted small">"Reason: " {r}</p> });
            let overridden = c.override_reason.clone().map(|r| {
                view! { <p class="small"><span class="flag-override">"Override"</span>" " {r}</p> }
            });
            let booked = c
                .allocations_added
                .then(|| view! { <p class="muted small">"Staffing added to the planner."</p> });
            let proposed = c.status == "proposed";
            let review_currency = currency.clone();
            view! {
                <li class=format!("change change-{}", c.status) data-change-id=id>
                    <div class="change-head">
                        <span class=format!("status status-{}", c.status)>{c.status.clone()}</span>
                        <strong>{c.description.clone()}</strong>
                    </div>
                    <p class="small">{hours}{value}
                        <span class="muted">{format!(" · proposed by {}, {}", c.proposed_by, when(c.created_at, &offsets))}</span>
                        {decided}{verdicts}
                    </p>
                    {why}{overridden}{booked}
                    {proposed.then(|| view! {
                        <button type="button" class="button ghost small"
                            on:click=move |_| reviewing.update(|r| *r = if *r == Some(id) { None } else { Some(id) })>
                            {move || if reviewing.get() == Some(id) { "Hide review" } else { "Review" }}
                        </button>
                        <Show when=move || reviewing.get() == Some(id)>
                            <ChangeReview change_id=id currency=review_currency.clone() actions/>
                        </Show>
                    })}
                </li>
            }
        })
        .collect_view();
    let empty = changes
        .is_empty()
        .then(|| view! { <li class="muted">"No change requests yet."</li> });
    let summary = (approved > 0).then(|| {
        let extra = if approved_extra > 0 {
            format!(" adding {}", format_money_whole(approved_extra, &currency))
        } else {
            String::new()
        };
        view! { <p class="muted" data-testid="changes-summary">{format!("{approved} approved{extra}; the budget above includes them.")}</p> }
    });
    view! {
        <section class="panel" data-testid="changes">
            <h2>"Change requests"</h2>
            {summary}
            {form}
            <ul class="changes">{rows}{empty}</ul>
        </section>
    }
}

/// The review of one proposed change, with approve and reject.
#[component]
fn ChangeReview(change_id: i64, currency: Currency, actions: DeliveryActions) -> impl IntoView {
    let review = Resource::new(|| (), move |_| review_change(change_id));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Checking capacity and margin…"</p> }>
            {move || {
                let currency = currency.clone();
                Suspend::new(async move {
                    match review.await {
                        Ok(r) => view! { <ReviewBody r currency actions/> }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ReviewBody(r: ChangeReviewView, currency: Currency, actions: DeliveryActions) -> impl IntoView {
    let decide = actions.decide;
    let money = |v: Option<i64>| v.map(|v| format_money_whole(v, &currency));
    let mut by_skill: Vec<(String, i64, i64, i64)> = Vec::new();
    for c in &r.cells {
        match by_skill.iter_mut().find(|s| s.0 == c.skill) {
            Some(s) => {
                s.1 += c.demand;
                s.2 += c.staffed;
                s.3 += c.shortfall;
            }
            None => by_skill.push((c.skill.clone(), c.demand, c.staffed, c.shortfall)),
        }
    }
    let skill_rows = by_skill
        .into_iter()
        .map(|(skill, demand, staffed, short)| {
            view! {
                <tr class:short=move || short.gt(&0)>
                    <th scope="row">{skill}</th>
                    <td class="num">{hours_shown(demand)}</td>
                    <td class="num">{hours_shown(staffed)}</td>
                    <td class="num">{if short > 0 { hours_shown(short) } else { "—".into() }}</td>
                </tr>
            }
        })
        .collect_view();
    let mut people: Vec<(String, String, i64)> = Vec::new();
    for (person, skill, _, m) in &r.staffing {
        match people.iter_mut().find(|p| &p.0 == person && &p.1 == skill) {
            Some(p) => p.2 += m,
            None => people.push((person.clone(), skill.clone(), *m)),
        }
    }
    let staffing = people
        .into_iter()
        .map(|(p, s, m)| format!("{p} ({s}) {} h", hours_shown(m)))
        .collect::<Vec<_>>()
        .join(", ");
    let figures = [
        ("Budget now", money(r.budget_minor)),
        ("Revised budget", money(r.revised_budget_minor)),
        ("Cost of the extra work", money(r.extra_cost_minor)),
        ("Revised forecast cost", money(r.revised_cost_minor)),
    ]
    .into_iter()
    .filter_map(|(l, v)| v.map(|v| view! { <div><dt>{l}</dt><dd>{v}</dd></div> }))
    .collect_view();
    let blockers = r.blockers.clone();
    let needs_override = r.needs_override;
    let can_override = r.can_override;
    let can_decide = r.can_decide;
    // Someone who may override but not manage projects approves blocked changes only.
    let decision_form = (can_decide || (can_override && needs_override)).then(|| {
        view! {
            <div class="decide">
                <ActionForm action=decide attr:class="stack-form" attr:data-testid="approve-form">
                    <input type="hidden" name="change_id" value=r.id/>
                    <input type="hidden" name="version" value=r.version/>
                    <input type="hidden" name="decision" value="approve"/>
                    {can_decide.then(|| view! {
                    <label class="check"><input type="checkbox" name="add_allocations" value="true" checked/>
                        " Book the suggested staffing in the planner"</label>
                    })}
                    {needs_override.then(|| view! {
                        <label><span>{if can_override { "Override reason (needed: the checks block this)" } else { "The checks block this: someone with the override permission must approve it" }}</span>
                            <textarea name="override_reason" rows="2" disabled=!can_override></textarea>
                        </label>
                    })}
                    <button type="submit" class="button primary small" disabled=needs_override && !can_override>"Approve"</button>
                </ActionForm>
                {can_decide.then(|| view! {
                <ActionForm action=decide attr:class="stack-form">
                    <input type="hidden" name="change_id" value=r.id/>
                    <input type="hidden" name="version" value=r.version/>
                    <input type="hidden" name="decision" value="reject"/>
                    <label><span>"Reason for rejecting"</span><input type="text" name="reason" maxlength="2000"/></label>
                    <button type="submit" class="button ghost small">"Reject"</button>
                </ActionForm>
                })}
                <p class="form-error" role="alert">{move || decide.value().get().and_then(|r| r.err()).map(|e| error_text(&e))}</p>
            </div>
        }
    });
    view! {
        <div class="change-review" data-testid="change-review">
            <div class="close-verdicts">
                <div class="verdict-box"><span class="verdict-label">"Capacity"</span>{capacity_badge(r.capacity)}
                    <span class="muted small">{format!("from {} over {} week{}", r.start_on, r.weeks, if r.weeks == 1 { "" } else { "s" })}</span></div>
                <div class="verdict-box"><span class="verdict-label">"Margin after the change"</span>{margin_badge(r.margin)}
                    <span class="margin-line">{match r.margin_bp {
                        Some(bp) => format!("{} (target {}, floor {})", percent(bp), percent(r.target_bp), percent(r.floor_bp)),
                        None => format!("against the target {} and floor {}", percent(r.target_bp), percent(r.floor_bp)),
                    }}</span></div>
            </div>
            <dl class="board-stats">{figures}</dl>
            <table class="list compact">
                <thead><tr><th>"Skill"</th><th class="num">"Asked (h)"</th><th class="num">"Staffed (h)"</th><th class="num">"Short (h)"</th></tr></thead>
                <tbody>{skill_rows}</tbody>
            </table>
            <p class="small">{if staffing.is_empty() { "Nobody is free for this work.".to_string() } else { format!("Suggested: {staffing}") }}</p>
            {(!blockers.is_empty()).then(|| view! { <ul class="risks">{blockers.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul> })}
            {decision_form}
        </div>
    }
}

/// Client updates: the form and the timeline.
#[component]
pub fn UpdatesPanel(
    project_id: i64,
    updates: Vec<StatusUpdate>,
    /// The workspace's offsets from UTC, to show when updates were posted.
    offsets: UtcOffsets,
    can_post: bool,
    actions: DeliveryActions,
) -> impl IntoView {
    let post = actions.post;
    let form_ref = NodeRef::<leptos::html::Form>::new();
    clear_after_success(
        post.version(),
        move || matches!(post.value().get_untracked(), Some(Ok(_))),
        move || {
            if let Some(form) = form_ref.get_untracked() {
                form.reset();
            }
        },
    );
    let form = can_post.then(|| {
        view! {
            <ActionForm action=post node_ref=form_ref attr:class="stack-form update-form" attr:data-testid="post-update">
                <input type="hidden" name="project_id" value=project_id/>
                <div class="rag-choice" role="radiogroup" aria-label="Status">
                    <label class="rag rag-green"><input type="radio" name="rag" value="green" checked/>" Green"</label>
                    <label class="rag rag-amber"><input type="radio" name="rag" value="amber"/>" Amber"</label>
                    <label class="rag rag-red"><input type="radio" name="rag" value="red"/>" Red"</label>
                </div>
                <label><span>"Summary"</span><textarea name="summary" rows="2" required maxlength="4000"></textarea></label>
                <label><span>"Next steps"</span><textarea name="next_steps" rows="2" maxlength="4000"></textarea></label>
                <button type="submit" class="button primary small">"Post update"</button>
                <p class="form-error" role="alert">{move || post.value().get().and_then(|r| r.err()).map(|e| error_text(&e))}</p>
            </ActionForm>
        }
    });
    view! {
        <section class="panel" data-testid="updates">
            <h2>"Client updates"</h2>
            {form}
            <Timeline updates offsets/>
        </section>
    }
}

/// Status updates, newest first, dated in the workspace's time zone (`offsets`).
/// The whole address of a path on this site, as the browser reaches it.
fn full_url(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let origin = window().location().origin().unwrap_or_default();
        format!("{origin}{path}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        path.to_string()
    }
}

/// Puts `text` on the clipboard (where the browser allows it).
fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// A status update's RAG as words, so it is never told by colour alone.
fn rag_label(rag: &str) -> &'static str {
    match rag {
        "green" => "On track",
        "amber" => "At risk",
        "red" => "Off track",
        _ => "Status unknown",
    }
}

#[component]
pub fn Timeline(updates: Vec<StatusUpdate>, offsets: UtcOffsets) -> impl IntoView {
    let empty = updates
        .is_empty()
        .then(|| view! { <li class="muted">"No updates yet."</li> });
    let items = updates
        .into_iter()
        .map(|u| {
            let next = (!u.next_steps.is_empty()).then(|| {
                view! { <p class="next-steps"><strong>"Next: "</strong>{u.next_steps.clone()}</p> }
            });
            view! {
                <li class=format!("update rag-{}", u.rag)>
                    <span class=format!("rag-dot rag-{}", u.rag) aria-hidden="true"></span>
                    <div>
                        <p class="muted small">
                            <strong class=format!("rag-text rag-text-{}", u.rag)>{rag_label(&u.rag)}</strong>
                            {format!(" · {} · {}", when(u.created_at, &offsets), u.author)}
                        </p>
                        <p>{u.summary.clone()}</p>
                        {next}
                    </div>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="timeline" data-testid="timeline">{items}{empty}</ol> }
}

/// Share links: make one (shown once), list and revoke.
#[component]
pub fn SharePanel(
    project_id: i64,
    links: Vec<ShareLinkRow>,
    /// The workspace's offsets from UTC, to show when links were made and opened.
    offsets: UtcOffsets,
    may_show_budget: bool,
    actions: DeliveryActions,
) -> impl IntoView {
    let DeliveryActions { share, revoke, .. } = actions;
    let fresh = move || {
        share.value().get().map(|r| match r {
            Ok(link) => {
                let url = full_url(&link.path);
                let copied = RwSignal::new(false);
                let to_copy = url.clone();
                view! {
                    <div class="notice share-new" data-testid="new-share-link">
                        <p>"Copy this link now — it is shown only once:"</p>
                        <p class="share-url">
                            <a href=url.clone() target="_blank" rel="noopener">{url.clone()}</a>
                            " "
                            <button type="button" class="button small" on:click=move |_| {
                                copy_text(&to_copy);
                                copied.set(true);
                            }>{move || if copied.get() { "Copied" } else { "Copy link" }}</button>
                        </p>
                        <span class="sr-only" role="status" aria-live="polite">{move || copied.get().then_some("Link copied")}</span>
                    </div>
                }
                .into_any()
            }
            Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
        })
    };
    let rows = links
        .into_iter()
        .map(|l| {
            let state = match (l.revoked_at, l.last_opened_at) {
                (Some(at), _) => format!("revoked {}", when(at, &offsets)),
                (None, Some(at)) => format!("last opened {}", when(at, &offsets)),
                (None, None) => "not opened yet".into(),
            };
            let active = l.revoked_at.is_none();
            view! {
                <tr class=if active { "" } else { "muted" }>
                    <td class="mono">{format!("…{}", l.hint)}</td>
                    <td>{if l.show_budget { "with budget" } else { "no money" }}</td>
                    <td>{format!("{} · {}", l.created_by, when(l.created_at, &offsets))}</td>
                    <td>{state}</td>
                    <td>{active.then(|| view! {
                        <ActionForm action=revoke attr:class="inline-form">
                            <input type="hidden" name="link_id" value=l.id/>
                            <button type="submit" class="button ghost small">"Revoke"</button>
                        </ActionForm>
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel" data-testid="share">
            <h2>"Share with the client"</h2>
            <p class="muted small">"A read-only page of this project's dates, progress and updates; no sign-in needed. Anyone with the link can read it until it is revoked."</p>
            <ActionForm action=share attr:class="inline-form">
                <input type="hidden" name="project_id" value=project_id/>
                {may_show_budget.then(|| view! { <label class="check"><input type="checkbox" name="show_budget" value="true"/>" Show budget, spent and remaining"</label> })}
                <button type="submit" class="button small">"Make a share link"</button>
            </ActionForm>
            {fresh}
            <table class="list compact" data-testid="share-links"><tbody>{rows}</tbody></table>
        </section>
    }
}
