//! Permissions: named flags, and the built-in role presets made of them.

use serde::{Deserialize, Serialize};

/// One thing a role may allow. Stored by its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// See the pipeline board and deals.
    ViewPipeline,
    /// Create and edit deals and clients.
    EditDeals,
    /// Close deals (spawning projects).
    CloseDeals,
    /// Close or approve despite a "block" verdict, with a written reason.
    OverrideChecks,
    /// See deal values and project budgets.
    ViewDealValues,
    /// See cost rates and margins in currency.
    ViewCostRates,
    /// Edit allocations and time off in the capacity planner.
    ManageCapacity,
    /// Log one's own time.
    LogOwnTime,
    /// Edit projects, change requests and status updates.
    ManageProjects,
    /// Add and edit people, skills and rates.
    ManagePeople,
    /// Add users, assign roles, edit roles.
    ManageUsers,
    /// Edit workspace settings and stages.
    ManageSettings,
}

impl Permission {
    /// Every permission, in the order the permission builder shows them.
    pub const ALL: [Permission; 12] = [
        Self::ViewPipeline,
        Self::EditDeals,
        Self::CloseDeals,
        Self::OverrideChecks,
        Self::ViewDealValues,
        Self::ViewCostRates,
        Self::ManageCapacity,
        Self::LogOwnTime,
        Self::ManageProjects,
        Self::ManagePeople,
        Self::ManageUsers,
        Self::ManageSettings,
    ];

    /// The stored name, e.g. `view_pipeline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewPipeline => "view_pipeline",
            Self::EditDeals => "edit_deals",
            Self::CloseDeals => "close_deals",
            Self::OverrideChecks => "override_checks",
            Self::ViewDealValues => "view_deal_values",
            Self::ViewCostRates => "view_cost_rates",
            Self::ManageCapacity => "manage_capacity",
            Self::LogOwnTime => "log_own_time",
            Self::ManageProjects => "manage_projects",
            Self::ManagePeople => "manage_people",
            Self::ManageUsers => "manage_users",
            Self::ManageSettings => "manage_settings",
        }
    }

    /// The permission with this stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A built-in role: a named preset of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RolePreset {
    /// Everything.
    Admin,
    /// Sales: pipeline, deals, closing, values.
    AccountManager,
    /// Delivery: capacity, projects, values.
    ProjectManager,
    /// Sees the board and logs time.
    TeamMember,
    /// Money: values, cost rates and margins.
    Finance,
}

impl RolePreset {
    /// Every preset.
    pub const ALL: [RolePreset; 5] = [
        Self::Admin,
        Self::AccountManager,
        Self::ProjectManager,
        Self::TeamMember,
        Self::Finance,
    ];

    /// The stored key, e.g. `account_manager`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::AccountManager => "account_manager",
            Self::ProjectManager => "project_manager",
            Self::TeamMember => "team_member",
            Self::Finance => "finance",
        }
    }

    /// The role's display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::AccountManager => "Account manager",
            Self::ProjectManager => "Project manager",
            Self::TeamMember => "Team member",
            Self::Finance => "Finance",
        }
    }

    /// The permissions the preset grants.
    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            Self::Admin => Permission::ALL.to_vec(),
            Self::AccountManager => vec![
                ViewPipeline,
                EditDeals,
                CloseDeals,
                ViewDealValues,
                LogOwnTime,
            ],
            Self::ProjectManager => vec![
                ViewPipeline,
                ViewDealValues,
                ManageCapacity,
                LogOwnTime,
                ManageProjects,
            ],
            Self::TeamMember => vec![ViewPipeline, LogOwnTime],
            Self::Finance => vec![ViewPipeline, ViewDealValues, ViewCostRates, OverrideChecks],
        }
    }
}

/// A set of permissions, as a bit set (cheap to copy, compact on the wire).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionSet(u32);

impl PermissionSet {
    fn bit(permission: Permission) -> u32 {
        let index = Permission::ALL
            .iter()
            .position(|p| *p == permission)
            .unwrap_or(0);
        1 << index
    }

    /// The empty set.
    pub fn empty() -> Self {
        Self(0)
    }

    /// Whether the set grants `permission`.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & Self::bit(permission) != 0
    }

    /// Adds `permission`.
    pub fn insert(&mut self, permission: Permission) {
        self.0 |= Self::bit(permission);
    }

    /// Removes `permission`.
    pub fn remove(&mut self, permission: Permission) {
        self.0 &= !Self::bit(permission);
    }

    /// The permissions in the set, in builder order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Whether deal values and project budgets (and what is spent or forecast against
    /// them) may be shown.
    pub fn sees_values(self) -> bool {
        self.contains(Permission::ViewDealValues)
    }

    /// Whether amounts worked out from cost rates may be shown: a deal's or a project's
    /// cost, forecast cost, the margin it leaves (as a figure or a percentage, outside the
    /// close check) and the largest discount. Both money permissions: with the value, a
    /// cost gives the margin away and the other way round. Everywhere Baton masks costs it
    /// asks this.
    pub fn sees_cost_amounts(self) -> bool {
        self.contains(Permission::ViewCostRates) && self.contains(Permission::ViewDealValues)
    }

    /// The set of the stored names that are known permissions (unknown names are ignored).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = Self::empty();
        for permission in names.into_iter().filter_map(Permission::parse) {
            set.insert(permission);
        }
        set
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = Self::empty();
        for permission in iter {
            set.insert(permission);
        }
        set
    }
}

impl Permission {
    /// What the permission allows, as the permission builder labels it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ViewPipeline => "View pipeline",
            Self::EditDeals => "Edit deals",
            Self::CloseDeals => "Close deals",
            Self::OverrideChecks => "Override checks",
            Self::ViewDealValues => "View deal values and budgets",
            Self::ViewCostRates => "View cost rates and margins",
            Self::ManageCapacity => "Manage capacity",
            Self::LogOwnTime => "Log own time",
            Self::ManageProjects => "Manage projects",
            Self::ManagePeople => "Manage people",
            Self::ManageUsers => "Manage users and roles",
            Self::ManageSettings => "Manage settings",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Permission::parse("root"), None);
    }

    #[test]
    fn money_permissions_are_split() {
        let am = RolePreset::AccountManager.permissions();
        assert!(am.contains(&Permission::ViewDealValues));
        assert!(!am.contains(&Permission::ViewCostRates));
        assert!(RolePreset::Finance
            .permissions()
            .contains(&Permission::ViewCostRates));
        assert_eq!(RolePreset::Admin.permissions().len(), Permission::ALL.len());
        let sees = |p: RolePreset| {
            let set: PermissionSet = p.permissions().into_iter().collect();
            (set.sees_values(), set.sees_cost_amounts())
        };
        assert_eq!(sees(RolePreset::Admin), (true, true));
        assert_eq!(sees(RolePreset::Finance), (true, true));
        assert_eq!(sees(RolePreset::AccountManager), (true, false));
        assert_eq!(sees(RolePreset::ProjectManager), (true, false));
        assert_eq!(sees(RolePreset::TeamMember), (false, false));
        // Cost rates without values still show no cost amount.
        let only_costs: PermissionSet = [Permission::ViewCostRates].into_iter().collect();
        assert!(!only_costs.sees_cost_amounts());
    }

    #[test]
    fn sets_hold_exactly_what_was_put_in() {
        let mut set = PermissionSet::from_names(["view_pipeline", "close_deals", "nonsense"]);
        assert!(set.contains(Permission::ViewPipeline));
        assert!(set.contains(Permission::CloseDeals));
        assert!(!set.contains(Permission::ViewCostRates));
        set.remove(Permission::CloseDeals);
        set.insert(Permission::ManageUsers);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Permission::ViewPipeline, Permission::ManageUsers]
        );
        let all: PermissionSet = Permission::ALL.into_iter().collect();
        assert_eq!(all.iter().count(), Permission::ALL.len());
    }
}
