//! `/settings/workspace`: the workspace's time zone and the day its weeks start on.

use crate::api::workspace::{get_workspace_settings, SetWorkspaceCalendar};
use crate::components::errors::{error_panel, error_text};
use crate::domain::calendar::WeekStart;
use leptos::prelude::*;
use leptos_meta::Title;

/// The workspace settings form.
#[component]
pub fn WorkspacePage() -> impl IntoView {
    let save = ServerAction::<SetWorkspaceCalendar>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_workspace_settings());
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let saved = move || {
        save.value()
            .get()
            .is_some_and(|r| r.is_ok())
            .then_some("Saved: every page of the workspace follows the new calendar.")
    };
    view! {
        <Title text="Workspace"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Settings"</p>
                <h1>"Workspace"</h1>
            </div>
        </div>
        <p class="form-error" role="alert" aria-live="polite" data-testid="settings-error">{error}</p>
        <p class="muted" role="status" aria-live="polite">{saved}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading the settings…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => {
                        let zones = s.zones.iter().map(|z| view! {
                            <option value=z.clone() selected=*z == s.time_zone>{z.clone()}</option>
                        }).collect_view();
                        let days = WeekStart::ALL.into_iter().map(|d| view! {
                            <option value=d.iso() selected=d == s.week_start>{d.name()}</option>
                        }).collect_view();
                        let today = s.today;
                        view! {
                            <section class="panel">
                                <h2>{s.name.clone()}</h2>
                                <p class="muted" data-testid="workspace-today">
                                    {format!(
                                        "It is {} in {} — today is {}, and this week began on {} ({}).",
                                        s.local_time, s.time_zone, today.date, today.this_week(),
                                        today.week_start.name(),
                                    )}
                                </p>
                                <ActionForm action=save attr:class="grid-form">
                                    <input type="hidden" name="version" value=s.version/>
                                    <label>
                                        <span>"Time zone"</span>
                                        <select name="time_zone" data-testid="time-zone">{zones}</select>
                                    </label>
                                    <label>
                                        <span>"Weeks start on"</span>
                                        <select name="week_start" data-testid="week-start">{days}</select>
                                    </label>
                                    <button type="submit" class="button primary">"Save"</button>
                                </ActionForm>
                                <p class="muted small">
                                    "Which day it is — for logging time, the planner's and the close's weeks, \
                                     the dashboard and exports — follows the workspace's time zone. Changing \
                                     the week start moves booked hours to the new week holding the same \
                                     working days."
                                </p>
                            </section>
                        }.into_any()
                    }
                    Err(err) => error_panel("The settings could not be loaded", &err),
                }
            })}
        </Transition>
    }
}
