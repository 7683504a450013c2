// Runs a TF.js layers model (model.json and its weight files, as TF.js writes them) on inputs, with TensorFlow.js
// itself: the reference for the console's TF.js-to-ONNX conversion.
// Usage: node tfjs-predict.js MODEL_FOLDER INPUT.f32 BATCH   (INPUT.f32: float32 NHWC, little-endian)
// Prints the output as one JSON array of numbers.
const fs = require('fs');
const path = require('path');
console.log = console.info = console.warn = (...args) => process.stderr.write(args.join(' ') + '\n');
const tf = require('@tensorflow/tfjs');

(async () => {
  const [folder, inputFile, batch] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
  const weightSpecs = model.weightsManifest.flatMap(group => group.weights);
  const weightData = Buffer.concat(model.weightsManifest.flatMap(group => group.paths.map(p => fs.readFileSync(path.join(folder, p)))));
  const layers = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }));
  const shape = layers.inputs[0].shape.slice(1);
  const bytes = fs.readFileSync(inputFile);
  const input = tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), [Number(batch), ...shape]);
  const output = layers.predict(input);
  process.stdout.write(JSON.stringify(Array.from(await output.data())) + '\n');
})().catch(error => { console.error(error); process.exit(1); });
