//! `/settings/users`: who can sign in, with which role.

use crate::api::admin::{list_roles, list_users, CreateUser, SetUserActive, SetUserRole};
use crate::components::errors::{error_panel, error_text};
use leptos::prelude::*;
use leptos_meta::Title;

/// The user list with the add-user form.
#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let data = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_active.version().get(),
            )
        },
        |_| async move { Ok::<_, crate::error::AppError>((list_users().await?, list_roles().await?)) },
    );
    let last_error = move || {
        [
            create.value().get().and_then(|r| r.err()),
            set_role.value().get().and_then(|r| r.err()),
            set_active.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| error_text(&e))
    };
    let invite = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .and_then(|created| created.invite_path)
    };
    view! {
        <Title text="Users"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Settings"</p>
                <h1>"Users"</h1>
            </div>
        </div>
        <p class="form-error" role="alert" aria-live="polite">{last_error}</p>
        {move || invite().map(|path| view! {
            <div class="notice" role="status">
                <strong>"Invite link — shown once. "</strong>
                "Send it to the new user; it works for seven days: "
                <a href=path.clone() data-testid="invite-link">{path.clone()}</a>
            </div>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((users, roles)) => {
                        let role_options = roles.clone();
                        let rows = users.into_iter().map(|user| {
                            let options = roles.iter().map(|r| view! {
                                <option value=r.id selected=r.id == user.role_id>{r.name.clone()}</option>
                            }).collect_view();
                            let (user_id, version, active) = (user.id, user.version, user.active);
                            let status = if !user.active { "Deactivated" } else if user.invited { "Invited" } else { "Active" };
                            view! {
                                <tr class:inactive=!user.active>
                                    <td class="strong">{user.name.clone()}</td>
                                    <td>{user.email.clone()}</td>
                                    <td>
                                        <select aria-label=format!("Role of {}", user.name) on:change=move |ev| {
                                            if let Ok(role_id) = event_target_value(&ev).parse() {
                                                set_role.dispatch(SetUserRole { user_id, role_id, version });
                                            }
                                        }>{options}</select>
                                    </td>
                                    <td><span class=format!("status status-{}", status.to_lowercase())>{status}</span></td>
                                    <td class="actions">
                                        {if active {
                                            let confirming = RwSignal::new(false);
                                            let name = user.name.clone();
                                            view! {
                                                <Show when=move || confirming.get() fallback=move || view! {
                                                    <button type="button" class="button ghost small" on:click=move |_| confirming.set(true)>"Deactivate…"</button>
                                                }>
                                                    <div class="confirm-inline" role="group" aria-label=format!("Deactivate {name}?")>
                                                        <p>{format!("Deactivate {name}? They are signed out everywhere at once and can no longer sign in. Their deals, time and history stay; you can activate them again.")}</p>
                                                        <button type="button" class="button danger small" on:click=move |_| {
                                                            confirming.set(false);
                                                            set_active.dispatch(SetUserActive { user_id, active: false, version });
                                                        }>{format!("Deactivate {name}")}</button>
                                                        <button type="button" class="button ghost small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                                                    </div>
                                                </Show>
                                            }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" class="button ghost small" on:click=move |_| {
                                                    set_active.dispatch(SetUserActive { user_id, active: true, version });
                                                }>"Activate"</button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-card">
                                <table class="list">
                                    <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th></th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <AddUser create roles=role_options/>
                        }.into_any()
                    }
                    Err(err) => error_panel("Users could not be loaded", &err),
                }
            })}
        </Transition>
    }
}

#[component]
fn AddUser(
    create: ServerAction<CreateUser>,
    roles: Vec<crate::api::admin::RoleView>,
) -> impl IntoView {
    // The least privileged role is preselected: fewest permissions, then by name.
    let least = roles
        .iter()
        .min_by(|a, b| {
            a.permissions
                .iter()
                .count()
                .cmp(&b.permissions.iter().count())
                .then_with(|| a.name.cmp(&b.name))
        })
        .map(|r| r.id);
    let options = roles
        .into_iter()
        .map(|r| view! { <option value=r.id selected=Some(r.id) == least>{r.name}</option> })
        .collect_view();
    view! {
        <section class="panel">
            <h2>"Add a user"</h2>
            <ActionForm action=create attr:class="grid-form">
                <label><span>"Name"</span><input type="text" name="name" maxlength="200" required/></label>
                <label><span>"Email"</span><input type="email" name="email" required/></label>
                <label><span>"Role"</span><select name="role_id">{options}</select></label>
                <label>
                    <span>"Initial password"</span>
                    <input type="password" name="password" autocomplete="new-password" placeholder="Leave empty for an invite link"/>
                </label>
                <button type="submit" class="button primary">"Add user"</button>
            </ActionForm>
        </section>
    }
}
