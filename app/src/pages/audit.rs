//! `/settings/audit`: every change, newest first, filterable by user and entity.

use crate::api::audit::list_audit;
use crate::components::errors::error_panel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The audit log. The filters are a plain GET form, so a filtered view is a shareable link.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let q = query.read();
        (
            q.get("user").and_then(|v| v.parse::<i64>().ok()),
            q.get("entity").filter(|e| !e.is_empty()),
            q.get("before").and_then(|v| v.parse::<i64>().ok()),
        )
    };
    let page = Resource::new(filters, |(user, entity, before)| {
        list_audit(user, entity, before)
    });
    view! {
        <Title text="Audit log"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Settings"</p>
                <h1>"Audit log"</h1>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let (user, entity, _) = filters();
                match page.await {
                    Ok(page) => {
                        let actor_options = page.actors.iter().map(|(id, name)| view! {
                            <option value=*id selected=user == Some(*id)>{name.clone()}</option>
                        }).collect_view();
                        let entity_options = page.entities.iter().map(|e| view! {
                            <option value=e.clone() selected=entity.as_deref() == Some(e.as_str())>{e.clone()}</option>
                        }).collect_view();
                        let rows = page.entries.iter().map(|e| {
                            let when = page.offsets.date_time(e.created_at);
                            let change = [e.before_json.clone(), e.after_json.clone()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" → ");
                            view! {
                                <tr>
                                    <td class="nowrap">{when}</td>
                                    <td>{e.actor_name.clone().unwrap_or_else(|| "System".into())}</td>
                                    <td>{format!("{} #{}", e.entity, e.entity_id)}</td>
                                    <td class="strong">{e.action.replace('_', " ")}</td>
                                    <td class="mono">{change}</td>
                                </tr>
                            }
                        }).collect_view();
                        let older = page.next_before_seq.map(|seq| {
                            let mut href = format!("/settings/audit?before={seq}");
                            if let Some(u) = user { href.push_str(&format!("&user={u}")); }
                            if let Some(e) = &entity { href.push_str(&format!("&entity={e}")); }
                            view! { <a class="button ghost" href=href>"Older events"</a> }
                        });
                        view! {
                            <form method="get" action="/settings/audit" class="inline-form filters">
                                <label><span>"User"</span>
                                    <select name="user"><option value="">"Everyone"</option>{actor_options}</select>
                                </label>
                                <label><span>"Entity"</span>
                                    <select name="entity"><option value="">"Everything"</option>{entity_options}</select>
                                </label>
                                <button type="submit" class="button">"Filter"</button>
                            </form>
                            <div class="table-card">
                                <table class="list audit">
                                    <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Action"</th><th>"Change"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            {older}
                        }.into_any()
                    }
                    Err(err) => error_panel("The audit log could not be loaded", &err),
                }
            })}
        </Transition>
    }
}
