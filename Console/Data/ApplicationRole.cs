namespace ModerationConsole.Data;

/// <summary>
/// The database roles the console runs as. Migrations run as the schema owner; the console itself logs in as a member
/// of <see cref="Group"/>, which db/0007 allows to read and write its tables but only to add to the audit log and its
/// hash chain: with no UPDATE, DELETE or TRUNCATE there, and not owning the tables, nothing the console runs can rewrite
/// history or switch the append-only triggers off.
/// </summary>
public static class ApplicationRole
{
    /// <summary>Holds the console's privileges; created by db/0007 (and by the embedded cluster before it migrates).</summary>
    public const string Group = "moderation_app";

    /// <summary>The login the embedded cluster creates for the console (in production the operator names their own).</summary>
    public const string EmbeddedLogin = "moderation_console";

    /// <summary>True when the connected role could change or remove audit entries: the schema owner or a superuser.</summary>
    public const string CanRewriteAuditSql = """
        select bool_or(has_table_privilege(t, p))
        from unnest(array['audit_log', 'audit_chain']) t, unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) p
        """;
}
