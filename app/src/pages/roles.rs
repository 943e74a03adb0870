//! `/settings/roles`: the permission builder — roles × permissions as checkboxes.

use crate::api::admin::{
    list_roles, CreateRole, DeleteRole, RenameRole, RoleView, SetRolePermission,
};
use crate::components::errors::{error_panel, error_text};
use crate::domain::permissions::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

/// The permission builder page. Each checkbox saves at once.
#[component]
pub fn RolesPage() -> impl IntoView {
    let toggle = ServerAction::<SetRolePermission>::new();
    let create = ServerAction::<CreateRole>::new();
    let rename = ServerAction::<RenameRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = Resource::new(
        move || {
            (
                toggle.version().get(),
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |_| list_roles(),
    );
    let last_error = move || {
        [
            toggle.value().get().and_then(|r| r.err()),
            create.value().get().and_then(|r| r.err()),
            rename.value().get().and_then(|r| r.err()),
            delete.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| error_text(&e))
    };
    view! {
        <Title text="Roles"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Settings"</p>
                <h1>"Roles and permissions"</h1>
            </div>
            <ActionForm action=create attr:class="inline-form">
                <input type="text" name="name" placeholder="New role name" aria-label="New role name" maxlength="80" required/>
                <button type="submit" class="button primary">"Add role"</button>
            </ActionForm>
        </div>
        <p class="form-error" role="alert" aria-live="polite">{last_error}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(roles) => view! { <Matrix roles toggle rename delete/> }.into_any(),
                    Err(err) => error_panel("Roles could not be loaded", &err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Matrix(
    roles: Vec<RoleView>,
    toggle: ServerAction<SetRolePermission>,
    rename: ServerAction<RenameRole>,
    delete: ServerAction<DeleteRole>,
) -> impl IntoView {
    let headers = roles
        .iter()
        .map(|role| {
            let role = role.clone();
            let deletable = role.user_count == 0;
            view! {
                <th scope="col" class="role-col">
                    <ActionForm action=rename attr:class="role-name-form">
                        <input type="hidden" name="role_id" value=role.id/>
                        <input type="hidden" name="version" value=role.version/>
                        <input type="text" name="name" value=role.name.clone() aria-label=format!("Name of role {}", role.name) maxlength="80" required/>
                    </ActionForm>
                    <span class="role-meta">
                        {if role.user_count == 1 { "1 user".to_string() } else { format!("{} users", role.user_count) }}
                        {deletable.then(|| view! {
                            <button type="button" class="link-button" on:click=move |_| {
                                delete.dispatch(DeleteRole { role_id: role.id, version: role.version });
                            }>"Delete"</button>
                        })}
                    </span>
                </th>
            }
        })
        .collect_view();
    let rows = Permission::ALL
        .into_iter()
        .map(|permission| {
            let cells = roles
                .iter()
                .map(|role| {
                    let checked = role.permissions.contains(permission);
                    let (role_id, version, role_name) = (role.id, role.version, role.name.clone());
                    view! {
                        <td class="check-cell">
                            <input
                                type="checkbox"
                                checked=checked
                                aria-label=format!("{}: {}", role_name, permission.label())
                                on:change=move |ev| {
                                    toggle.dispatch(SetRolePermission {
                                        role_id,
                                        permission: permission.as_str().to_string(),
                                        granted: event_target_checked(&ev),
                                        version,
                                    });
                                }
                            />
                        </td>
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{permission.label()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-card">
            <table class="matrix">
                <thead>
                    <tr>
                        <th scope="col">"Permission"</th>
                        {headers}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
