//! `/clients` (every client with its pipeline and projects) and `/clients/{id}` (one
//! client: health, owner, contact, deals, projects).

use crate::api::clients::{
    get_client, health_label, list_clients, ClientDetail, CreateClient, UpdateClient, HEALTH,
};
use crate::components::errors::{error_panel, error_text};
use crate::domain::money::{format_money, Currency};
use crate::domain::pipeline::StageKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn money(value: Option<i64>, currency: &Currency) -> String {
    value
        .map(|v| format_money(v, currency))
        .unwrap_or_else(|| "—".into())
}

fn health_badge(health: &str) -> impl IntoView {
    view! { <span class=format!("health health-{health}")>{health_label(health)}</span> }
}

/// The clients list, with the add-client form for those who may edit.
#[component]
pub fn ClientsPage() -> impl IntoView {
    let create = ServerAction::<CreateClient>::new();
    let list = Resource::new(move || create.version().get(), |_| list_clients());
    view! {
        <Title text="Clients"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Sales"</p>
                <h1>"Clients"</h1>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading clients…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        let currency = Currency::new(&list.currency);
                        let rows = list.clients.iter().map(|c| view! {
                            <tr>
                                <td class="strong"><a href=format!("/clients/{}", c.id)>{c.name.clone()}</a></td>
                                <td>{health_badge(&c.health)}</td>
                                <td>{c.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="num">{c.open_deals}</td>
                                <td class="num">{money(c.open_value_minor, &currency)}</td>
                                <td class="num">{money(c.won_value_minor, &currency)}</td>
                                <td class="num">{c.active_projects}</td>
                            </tr>
                        }).collect_view();
                        let empty = list.clients.is_empty().then(|| view! {
                            <tr><td colspan="7" class="muted">"No clients yet."</td></tr>
                        });
                        view! {
                            <div class="table-card">
                                <table class="list clients">
                                    <thead><tr>
                                        <th>"Client"</th><th>"Health"</th><th>"Owner"</th>
                                        <th class="num">"Open deals"</th><th class="num">"Open value"</th>
                                        <th class="num">"Won"</th><th class="num">"Active projects"</th>
                                    </tr></thead>
                                    <tbody>{rows}{empty}</tbody>
                                </table>
                            </div>
                            {list.can_edit.then(|| view! { <AddClient create/> })}
                        }.into_any()
                    }
                    Err(err) => error_panel("Clients could not be loaded", &err),
                }
            })}
        </Transition>
    }
}

#[component]
fn AddClient(create: ServerAction<CreateClient>) -> impl IntoView {
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let created = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|c| view! { <span role="status">"Added " <a href=format!("/clients/{}", c.id)>{c.name}</a> "."</span> })
    };
    view! {
        <section class="panel">
            <h2>"Add a client"</h2>
            <ActionForm action=create attr:class="grid-form">
                <label><span>"Name"</span><input type="text" name="name" maxlength="200" required/></label>
                <label><span>"Contact"</span><input type="text" name="contact_name" maxlength="200"/></label>
                <label><span>"Contact email"</span><input type="email" name="contact_email"/></label>
                <button type="submit" class="button primary">"Add client"</button>
            </ActionForm>
            <p class="form-error" role="alert" aria-live="polite">{error}</p>
            {created}
        </section>
    }
}

/// One client.
#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let save = ServerAction::<UpdateClient>::new();
    let detail = Resource::new(
        move || (id(), save.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_client(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the client…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(client) => view! { <Client client save/> }.into_any(),
                    Err(err) => view! {
                        <Title text="Client"/>
                        {error_panel("This client could not be opened", &err)}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Client(client: ClientDetail, save: ServerAction<UpdateClient>) -> impl IntoView {
    let currency = Currency::new(&client.currency);
    let deals = client
        .deals
        .iter()
        .map(|d| {
            let href = if d.stage_kind == StageKind::Open && !d.archived {
                Some(format!("/pipeline?deal={}", d.id))
            } else {
                None
            };
            let title = d.title.clone();
            view! {
                <tr class:inactive=d.archived || d.stage_kind == StageKind::Lost>
                    <td class="strong">{match href {
                        Some(href) => view! { <a href=href>{title}</a> }.into_any(),
                        None => view! { <span>{title}</span> }.into_any(),
                    }}</td>
                    <td><span class=format!("stage-kind stage-kind-{}", d.stage_kind.as_str())>{d.stage_name.clone()}</span>
                        {d.archived.then_some(" · archived")}</td>
                    <td class="num">{money(d.value_minor, &currency)}</td>
                    <td>{d.expected_close_on.clone().unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let no_deals = client
        .deals
        .is_empty()
        .then(|| view! { <tr><td colspan="4" class="muted">"No deals yet."</td></tr> });
    let projects = client
        .projects
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <td class="strong"><a href=format!("/projects/{}", p.id)>{p.name.clone()}</a></td>
                    <td><span class=format!("status status-{}", p.status)>{p.status.replace('_', " ")}</span></td>
                    <td class="nowrap">{format!("{} – {}", p.starts_on, p.ends_on)}</td>
                    <td class="num">{money(p.budget_minor, &currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let no_projects = client
        .projects
        .is_empty()
        .then(|| view! { <tr><td colspan="4" class="muted">"No projects yet: closing a deal creates one."</td></tr> });
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let health_options = HEALTH
        .iter()
        .map(|(key, label)| view! { <option value=*key selected=*key == client.health>{*label}</option> })
        .collect_view();
    let owner_options = client
        .owners
        .iter()
        .map(|(id, name)| view! { <option value=*id selected=Some(*id) == client.owner_user_id>{name.clone()}</option> })
        .collect_view();
    let contact = [client.contact_name.clone(), client.contact_email.clone()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let name = client.name.clone();
    let badge = health_badge(&client.health);
    let edit = client.can_edit.then(|| {
        view! {
            <section class="panel">
                <h2>"Details"</h2>
                <ActionForm action=save attr:class="grid-form">
                    <input type="hidden" name="client_id" value=client.id/>
                    <input type="hidden" name="version" value=client.version/>
                    <label><span>"Name"</span><input type="text" name="name" value=client.name.clone() maxlength="200" required/></label>
                    <label><span>"Health"</span><select name="health">{health_options}</select></label>
                    <label><span>"Owner"</span><select name="owner_user_id"><option value="">"Nobody"</option>{owner_options}</select></label>
                    <label><span>"Contact"</span><input type="text" name="contact_name" value=client.contact_name.clone() maxlength="200"/></label>
                    <label><span>"Contact email"</span><input type="email" name="contact_email" value=client.contact_email.clone()/></label>
                    <button type="submit" class="button primary">"Save"</button>
                </ActionForm>
                <p class="form-error" role="alert" aria-live="polite">{error}</p>
                <p class="muted" role="status">{move || saved().then_some("Saved.")}</p>
            </section>
        }
    });
    view! {
        <Title text=name.clone()/>
        <div class="page-header">
            <div>
                <p class="eyebrow"><a href="/clients">"Clients"</a></p>
                <h1>{name} " " {badge}</h1>
                <p class="muted">{contact}</p>
            </div>
        </div>
        <div class="two-col">
            <section>
                <h2 class="section-title">"Deals"</h2>
                <div class="table-card">
                    <table class="list">
                        <thead><tr><th>"Deal"</th><th>"Stage"</th><th class="num">"Value"</th><th>"Expected close"</th></tr></thead>
                        <tbody>{deals}{no_deals}</tbody>
                    </table>
                </div>
            </section>
            <section>
                <h2 class="section-title">"Projects"</h2>
                <div class="table-card">
                    <table class="list">
                        <thead><tr><th>"Project"</th><th>"Status"</th><th>"Dates"</th><th class="num">"Budget"</th></tr></thead>
                        <tbody>{projects}{no_projects}</tbody>
                    </table>
                </div>
            </section>
        </div>
        {edit}
    }
}
