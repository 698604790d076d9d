using System.Text.RegularExpressions;
using MongoDB.Driver;

namespace Aspire.MongoDB.Driver;

/// <summary>Parses a configured connection string, failing with a message that names the keys to set.</summary>
internal static partial class MongoDBConnectionString
{
    public static MongoUrl Parse(string? connectionString, string connectionName)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"MongoDB connection '{connectionName}' has no connection string. Set 'ConnectionStrings:{connectionName}' " +
                $"(environment variable ConnectionStrings__{connectionName}) or 'Aspire:MongoDB:Driver:{connectionName}:ConnectionString' " +
                "to a mongodb:// URL. Under the AppHost, WithReference supplies it.");
        }

        try
        {
            return MongoUrl.Create(connectionString);
        }
        catch (Exception ex) when (ex is MongoConfigurationException or ArgumentException or FormatException)
        {
            // The driver's message can quote the whole string, password included.
            var reason = ex.Message.Replace(connectionString, Redact(connectionString), StringComparison.Ordinal);
            throw new InvalidOperationException(
                $"The connection string in 'ConnectionStrings:{connectionName}' is not a valid MongoDB URL " +
                $"({Redact(connectionString)}): {reason}");
        }
    }

    /// <summary>Replaces the password of a <c>scheme://user:password@</c> string with <c>***</c>.</summary>
    public static string Redact(string connectionString) =>
        UserInfoPattern().Replace(connectionString, "$1***@");

    [GeneratedRegex(@"^([^:/?#]*://[^:@/?#]*:)[^@]*@")]
    private static partial Regex UserInfoPattern();
}
