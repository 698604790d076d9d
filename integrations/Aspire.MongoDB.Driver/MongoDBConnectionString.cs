using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace Aspire.MongoDB.Driver;

/// <summary>Parses a configured connection string, failing with a message that names the keys to set.</summary>
internal static class MongoDBConnectionString
{
    public static MongoUrl Parse(string? connectionString, string connectionName)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"MongoDB connection '{connectionName}' has no connection string. Set 'ConnectionStrings:{connectionName}' " +
                $"(environment variable ConnectionStrings__{connectionName}) or '{AspireMongoDBDriverExtensions.DefaultConfigSectionName}:{connectionName}:ConnectionString' " +
                "to a mongodb:// URL. Under the AppHost, WithReference supplies it.");
        }

        try
        {
            return MongoUrl.Create(connectionString);
        }
        catch (Exception ex) when (ex is MongoConfigurationException or ArgumentException or FormatException)
        {
            // The driver's message can quote the string or pieces of it (a host made of the password's tail, say).
            throw new InvalidOperationException(
                $"The connection string in 'ConnectionStrings:{connectionName}' is not a valid MongoDB URL " +
                $"({Redact(connectionString)}): {Scrub(ex.Message, connectionString)}");
        }
    }

    /// <summary>
    /// Replaces the credentials of a <c>scheme://user:password@host</c> string with <c>***</c>: everything from
    /// <c>://</c> to the last <c>@</c>, since a password that was not percent-encoded may itself hold <c>@</c>,
    /// <c>:</c> or <c>/</c>.
    /// </summary>
    public static string Redact(string connectionString) =>
        Credentials(connectionString) is { } credentials
            ? connectionString[..credentials.Start.Value] + "***" + connectionString[credentials.End.Value..]
            : connectionString;

    /// <summary>
    /// Removes from <paramref name="text"/> the credentials of <paramref name="connectionString"/> and every piece of
    /// them between <c>@</c>, <c>:</c> and <c>/</c>, as written and percent-decoded.
    /// </summary>
    public static string Scrub(string text, string connectionString)
    {
        if (Credentials(connectionString) is not { } credentials)
        {
            return text;
        }

        var written = connectionString[credentials];
        var secrets = new[] { written, Uri.UnescapeDataString(written) }
            .SelectMany(value => value.Split(['@', ':', '/']).Prepend(value))
            .Where(piece => piece.Length >= MinSecretPiece)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(piece => piece.Length); // the whole before its pieces
        return secrets.Aggregate(text, (scrubbed, secret) => scrubbed.Replace(secret, "***", StringComparison.Ordinal));
    }

    // Shorter pieces would blank out ordinary words of the message and say little about the password.
    private const int MinSecretPiece = 3;

    /// <summary>Where the credentials are: after <c>://</c>, up to the last <c>@</c>.</summary>
    private static Range? Credentials(string connectionString)
    {
        var scheme = connectionString.IndexOf("://", StringComparison.Ordinal);
        var at = connectionString.LastIndexOf('@');
        return scheme >= 0 && at > scheme + 3 ? (scheme + 3)..at : null;
    }
}
