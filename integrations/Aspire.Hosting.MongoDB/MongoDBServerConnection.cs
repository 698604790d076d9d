namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The connection contract both server kinds share: the official format
/// <c>mongodb://{user}:{password}@{host}:{port}/{database}?authSource=admin&amp;authMechanism=SCRAM-SHA-256</c>,
/// without the credential and query parts when the server runs without authentication.
/// </summary>
internal sealed class MongoDBServerConnection(IResourceWithEndpoints server, ParameterResource? userName, ParameterResource? password)
{
    public const string PrimaryEndpointName = "tcp";
    public const string DefaultUserName = "admin";
    private const string AuthenticationDatabase = "admin";
    private const string AuthenticationMechanism = "SCRAM-SHA-256";

    private readonly Dictionary<string, string> _databases = new(StringComparer.OrdinalIgnoreCase);

    public EndpointReference PrimaryEndpoint { get; } = new(server, PrimaryEndpointName);

    public EndpointReferenceExpression Host => PrimaryEndpoint.Property(EndpointProperty.Host);

    public EndpointReferenceExpression Port => PrimaryEndpoint.Property(EndpointProperty.Port);

    public ParameterResource? UserNameParameter => userName;

    public ParameterResource? PasswordParameter => password;

    public IReadOnlyDictionary<string, string> Databases => _databases;

    /// <summary>The replica set this single member forms, or <see langword="null"/> for a standalone server.</summary>
    public string? ReplicaSetName { get; set; }

    public ReferenceExpression UserNameReference => userName is not null
        ? ReferenceExpression.Create($"{userName}")
        : ReferenceExpression.Create($"{DefaultUserName}");

    public void AddDatabase(string name, string databaseName) => _databases.TryAdd(name, databaseName);

    public ReferenceExpression Build(string? databaseName = null)
    {
        var builder = new ReferenceExpressionBuilder();
        builder.AppendLiteral("mongodb://");
        if (password is not null)
        {
            if (userName is not null)
            {
                builder.Append($"{userName:uri}");
            }
            else
            {
                builder.AppendLiteral(DefaultUserName);
            }

            builder.Append($":{password:uri}@");
        }

        builder.Append($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
        builder.AppendLiteral("/");
        if (databaseName is not null)
        {
            builder.Append($"{databaseName:uri}");
        }

        List<string> options = [];
        if (password is not null)
        {
            options.Add($"authSource={AuthenticationDatabase}");
            options.Add($"authMechanism={AuthenticationMechanism}");
        }

        if (ReplicaSetName is not null)
        {
            // The member's own address (inside a container, or the unproxied port) is not the one the
            // client dials, so clients talk to this single member directly rather than discover it.
            options.Add("directConnection=true");
        }

        if (options.Count > 0)
        {
            builder.AppendLiteral($"?{string.Join('&', options)}");
        }

        return builder.Build();
    }

    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties(string? databaseName = null)
    {
        yield return new("Host", ReferenceExpression.Create($"{Host}"));
        yield return new("Port", ReferenceExpression.Create($"{Port}"));
        if (password is not null)
        {
            yield return new("Username", UserNameReference);
            yield return new("Password", ReferenceExpression.Create($"{password}"));
            yield return new("AuthenticationDatabase", ReferenceExpression.Create($"{AuthenticationDatabase}"));
            yield return new("AuthenticationMechanism", ReferenceExpression.Create($"{AuthenticationMechanism}"));
        }

        if (databaseName is not null)
        {
            yield return new("DatabaseName", ReferenceExpression.Create($"{databaseName}"));
        }

        yield return new("Uri", Build(databaseName));
    }
}
