using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace ModerationConsole.Scoring.Onnx;

/// <summary>
/// Writes small ONNX graphs with OnnxSharp's protobuf types (the published onnx.proto schema): the console's own prompt
/// model, the benchmark's image model, and the tests' models with known weights. Opset 13, default domain.
/// </summary>
public sealed class OnnxGraph(string name)
{
    public const int Opset = 13;
    private readonly GraphProto graph = new() { Name = name };

    /// <summary>A graph input; -1 in <paramref name="shape"/> is a symbolic dimension (the batch, a length).</summary>
    public OnnxGraph Input(string inputName, TensorProto.Types.DataType type, params long[] shape)
    {
        graph.Input.Add(Value(inputName, type, shape));
        return this;
    }

    public OnnxGraph Output(string outputName, TensorProto.Types.DataType type, params long[] shape)
    {
        graph.Output.Add(Value(outputName, type, shape));
        return this;
    }

    /// <summary>Constant weights, stored as raw little-endian bytes.</summary>
    public OnnxGraph Initializer(string tensorName, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return this;
    }

    public OnnxGraph Initializer(string tensorName, ReadOnlySpan<long> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>One operator; attributes are ints, int lists or floats.</summary>
    public OnnxGraph Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (attributeName, value) in attributes)
        {
            var attribute = new AttributeProto { Name = attributeName };
            switch (value)
            {
                case long i: attribute.Type = AttributeProto.Types.AttributeType.Int; attribute.I = i; break;
                case int i: attribute.Type = AttributeProto.Types.AttributeType.Int; attribute.I = i; break;
                case float f: attribute.Type = AttributeProto.Types.AttributeType.Float; attribute.F = f; break;
                case long[] ints: attribute.Type = AttributeProto.Types.AttributeType.Ints; attribute.Ints.AddRange(ints); break;
                default: throw new ArgumentException($"attribute {attributeName}: unsupported type {value.GetType().Name}");
            }
            node.Attribute.Add(attribute);
        }
        graph.Node.Add(node);
        return this;
    }

    public byte[] ToBytes()
    {
        var model = new ModelProto
        {
            IrVersion = 7, // the IR of opset 13
            ProducerName = "ModerationConsole",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string valueName, TensorProto.Types.DataType type, long[] shape)
    {
        var tensorShape = new TensorShapeProto();
        for (var i = 0; i < shape.Length; i++)
            tensorShape.Dim.Add(shape[i] < 0 ? new TensorShapeProto.Types.Dimension { DimParam = $"{valueName}_d{i}" } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }
}
