namespace Books.Settings;

/// <summary>
/// The framework settings books-api is configured with, and the token vocabulary it shares with its identity
/// provider. The bearer settings are ASP.NET Core's own (JwtBearerOptions bound from
/// <c>Authentication:Schemes:Bearer</c>); books-api validates tokens only through the provider they name.
/// </summary>
public static class BooksApiSettings
{
    /// <summary>
    /// The connection books-api reads its database from: the AppHost's database resource of that name, so
    /// <c>ConnectionStrings:booksdb</c>.
    /// </summary>
    public const string DatabaseConnectionName = "booksdb";

    /// <summary>The audience books-api's tokens are issued for, in run mode and the tests.</summary>
    public const string Audience = "books-api";

    /// <summary>The scope a write needs.</summary>
    public const string WriteScope = "books.write";

    /// <summary>The scope the admin functions (sample books, delete all) need.</summary>
    public const string AdminScope = "books.admin";

    public const string BearerSection = "Authentication:Schemes:Bearer";
    public const string AuthorityKey = BearerSection + ":Authority";
    public const string AudiencesKey = BearerSection + ":ValidAudiences";
    public const string SigningKeysKey = BearerSection + ":SigningKeys";
    public const string RefreshIntervalKey = BearerSection + ":RefreshInterval";
    public const string BackchannelTimeoutKey = BearerSection + ":BackchannelTimeout";

    /// <summary>The Host names books-api answers for outside Development (the framework's host-filtering key).</summary>
    public const string AllowedHostsKey = "AllowedHosts";
}
