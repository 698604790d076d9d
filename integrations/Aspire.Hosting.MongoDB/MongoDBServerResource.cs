namespace Aspire.Hosting.ApplicationModel;

/// <summary>A MongoDB server running in a <c>mongo</c> container (the official resource's name and shape).</summary>
public class MongoDBServerResource : ContainerResource, IMongoDBServerResource
{
    private readonly MongoDBServerConnection _connection;

    public MongoDBServerResource(string name, ParameterResource? userNameParameter, ParameterResource? passwordParameter)
        : base(name)
    {
        _connection = new(this, userNameParameter, passwordParameter);
    }

    public EndpointReference PrimaryEndpoint => _connection.PrimaryEndpoint;
    public EndpointReferenceExpression Host => _connection.Host;
    public EndpointReferenceExpression Port => _connection.Port;
    public ReferenceExpression UriExpression => ConnectionStringExpression;
    public ParameterResource? UserNameParameter => _connection.UserNameParameter;
    public ParameterResource? PasswordParameter => _connection.PasswordParameter;
    public ReferenceExpression UserNameReference => _connection.UserNameReference;
    public IReadOnlyDictionary<string, string> Databases => _connection.Databases;
    public ReferenceExpression ConnectionStringExpression => _connection.Build();

    MongoDBServerConnection IMongoDBServerResource.Connection => _connection;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        _connection.GetConnectionProperties();
}
