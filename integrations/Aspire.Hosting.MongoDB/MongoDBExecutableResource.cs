namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A MongoDB server running as a local <c>mongod</c> process, for machines without a container
/// runtime. It listens on loopback only and runs without authentication, so its connection string
/// carries no credentials.
/// </summary>
public class MongoDBExecutableResource : ExecutableResource, IMongoDBServerResource
{
    private readonly MongoDBServerConnection _connection;

    public MongoDBExecutableResource(string name, string mongodPath, string dataDirectory)
        : base(name, mongodPath, Path.GetDirectoryName(mongodPath) ?? ".")
    {
        DataDirectory = dataDirectory;
        _connection = new(this, userName: null, password: null);
    }

    /// <summary>The directory passed to <c>mongod --dbpath</c>.</summary>
    public string DataDirectory { get; internal set; }

    public EndpointReference PrimaryEndpoint => _connection.PrimaryEndpoint;
    public EndpointReferenceExpression Host => _connection.Host;
    public EndpointReferenceExpression Port => _connection.Port;
    public ReferenceExpression UriExpression => ConnectionStringExpression;
    public ParameterResource? UserNameParameter => null;
    public ParameterResource? PasswordParameter => null;
    public IReadOnlyDictionary<string, string> Databases => _connection.Databases;
    public ReferenceExpression ConnectionStringExpression => _connection.Build();

    MongoDBServerConnection IMongoDBServerResource.Connection => _connection;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        _connection.GetConnectionProperties();
}
