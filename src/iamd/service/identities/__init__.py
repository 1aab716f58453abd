"""Who acts: users, groups, roles, service-linked roles and instance profiles."""
