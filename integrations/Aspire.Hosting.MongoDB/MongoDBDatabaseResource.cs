namespace Aspire.Hosting.ApplicationModel;

/// <summary>A database on a MongoDB server; its connection string names the database.</summary>
public class MongoDBDatabaseResource(string name, string databaseName, IMongoDBServerResource parent)
    : Resource(name), IResourceWithParent<IMongoDBServerResource>, IResourceWithConnectionString
{
    public IMongoDBServerResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    public string DatabaseName { get; } = ThrowIfInvalid(databaseName);

    public ReferenceExpression ConnectionStringExpression => Parent.Connection.Build(DatabaseName);

    /// <summary>The <c>mongodb://</c> URL of the database (the connection string).</summary>
    public ReferenceExpression UriExpression => ConnectionStringExpression;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        Parent.Connection.GetConnectionProperties(DatabaseName);

    // MongoDB's own rules for database names: https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions
    private static string ThrowIfInvalid(string databaseName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        if (databaseName.Length > 63 || databaseName.IndexOfAny(['/', '\\', '.', ' ', '"', '$', '*', '<', '>', ':', '|', '?', '\0']) >= 0)
        {
            throw new ArgumentException(
                $"'{databaseName}' is not a valid MongoDB database name: at most 63 characters, none of / \\ . space \" $ * < > : | ?.",
                nameof(databaseName));
        }

        return databaseName;
    }
}
