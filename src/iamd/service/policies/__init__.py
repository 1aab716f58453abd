"""Identity policies: managed policies with their versions and attachments, inline policies, permissions
boundaries, policy documents as the API receives them, and finding a managed policy by ARN."""
